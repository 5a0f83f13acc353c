using DaprSaga.Contracts;
using DaprSaga.OrderService.Orders;
using DaprSaga.OrderService.Timeline;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.OrderService;

public static class Extensions
{
    public static WebApplicationBuilder AddOrders(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OrderOptions>().BindConfiguration(OrderOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<OrderBook>();
        builder.Services.AddSingleton<OrchestratorSteps>();

        builder.Services.AddSubscription<StockReservationFailed, ApplyToOrder>();
        builder.Services.AddSubscription<PaymentRequested, ApplyToOrder>();
        builder.Services.AddSubscription<PaymentConfirmed, ApplyToOrder>();
        builder.Services.AddSubscription<PaymentCancelled, ApplyToOrder>();
        builder.Services.AddSubscription<DeliveryScheduled, ApplyToOrder>();
        builder.Services.AddSubscription<DeliveryFailed, ApplyToOrder>();
        builder.Services.AddSubscription<StockReserved, RecordOnOrder<StockReserved>>();
        builder.Services.AddSubscription<StockReleased, RecordOnOrder<StockReleased>>();
        builder.Services.AddSubscription<StockCommitted, RecordOnOrder<StockCommitted>>();
        builder.Services.AddSubscription<PaymentRefunded, RecordOnOrder<PaymentRefunded>>();
        builder.Services.AddSubscription<DeliveryCancelled, RecordOnOrder<DeliveryCancelled>>();

        builder.Services.AddScheduledPass<OverdueOrders>(Components.OrderRecovery);
        builder.Services.AddOutbox<Order>();
        return builder;
    }
}
