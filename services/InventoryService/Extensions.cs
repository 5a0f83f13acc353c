using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;

namespace DaprSaga.InventoryService;

public static class Extensions
{
    public static WebApplicationBuilder AddInventory(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HoldOptions>().BindConfiguration(HoldOptions.Section)
            .Validate(o => o.TakeWithin > TimeSpan.Zero, "Holds:TakeWithin must be positive").ValidateOnStart();
        builder.Services.AddSingleton<ProductCatalogue>();
        builder.Services.AddDemoData<DemoCatalogue>();
        builder.Services.AddSingleton<StockReservations>();

        builder.Services.AddSubscription<OrderPlaced, ReserveStockOnOrderPlaced>(SagaFlow.Choreography);
        builder.Services.AddSubscription<OrderCancelled, ReleaseStockOnOrderCancelled>(SagaFlow.Choreography);
        builder.Services.AddSubscription<OrderCompleted, CommitStockOnOrderCompleted>(SagaFlow.Choreography);
        builder.Services.AddOutbox<Reservation, StockReservations>();
        return builder;
    }
}
