using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;

namespace DaprSaga.DeliveryService;

public static class Extensions
{
    public static WebApplicationBuilder AddDeliveries(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AssignmentOptions>().BindConfiguration(AssignmentOptions.Section)
            .Validate(o => o.TakeWithin > TimeSpan.Zero, "Assignments:TakeWithin must be positive").ValidateOnStart();
        builder.Services.AddSingleton<CourierRoster>();
        builder.Services.AddDemoData<DemoCouriers>();
        builder.Services.AddSingleton<DeliveryDispatcher>();

        builder.Services.AddSubscription<OrderConfirmed, ScheduleDeliveryOnOrderConfirmed>(SagaFlow.Choreography);
        builder.Services.AddSubscription<OrderCancelled, CancelDeliveryOnOrderCancelled>(SagaFlow.Choreography);
        builder.Services.AddOutbox<Delivery, DeliveryDispatcher>();
        return builder;
    }
}
