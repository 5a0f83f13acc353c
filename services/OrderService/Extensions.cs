using DaprSaga.OrderService.Orders;
using DaprSaga.OrderService.Timeline;

namespace DaprSaga.OrderService;

public static class Extensions
{
    public static WebApplicationBuilder AddOrders(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OrderOptions>().BindConfiguration(OrderOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<OrchestratorSteps>();

        builder.Services.AddSubscription<StockReservationFailed, ApplyToOrder<StockReservationFailed>>();
        builder.Services.AddSubscription<PaymentRequested, ApplyToOrder<PaymentRequested>>();
        builder.Services.AddSubscription<PaymentConfirmed, ApplyToOrder<PaymentConfirmed>>();
        builder.Services.AddSubscription<PaymentCancelled, ApplyToOrder<PaymentCancelled>>();
        builder.Services.AddSubscription<DeliveryScheduled, ApplyToOrder<DeliveryScheduled>>();
        builder.Services.AddSubscription<DeliveryFailed, ApplyToOrder<DeliveryFailed>>();
        builder.Services.AddSubscription<StockReserved, ApplyToOrder<StockReserved>>();
        builder.Services.AddSubscription<StockReleased, ApplyToOrder<StockReleased>>();
        builder.Services.AddSubscription<StockCommitted, ApplyToOrder<StockCommitted>>();
        builder.Services.AddSubscription<PaymentRefunded, ApplyToOrder<PaymentRefunded>>();
        builder.Services.AddSubscription<DeliveryCancelled, ApplyToOrder<DeliveryCancelled>>();

        builder.Services.AddScheduledPass<OverdueOrders>(Components.OrderRecovery);
        builder.Services.AddOutbox<Order, OrderBook>();
        return builder;
    }
}
