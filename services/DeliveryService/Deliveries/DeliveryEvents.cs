using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.DeliveryService.Deliveries;

/// <summary>The choreography reactions; events of orchestrated orders are acknowledged and left alone.</summary>
public static class DeliveryEvents
{
    public static IEndpointRouteBuilder MapDeliveryEvents(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapEventHandler<OrderConfirmed>(OnOrderConfirmedAsync);
        endpoints.MapEventHandler<OrderCancelled>(OnOrderCancelledAsync);
        return endpoints;
    }

    // Idempotent: the delivery is created once per order (first-write), a redelivery only carries
    // on an unfinished assignment, and each courier answers an order once, so one slot at most.
    private static async Task<HandlerOutcome> OnOrderConfirmedAsync(OrderConfirmed e, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (e.Flow != SagaFlow.Choreography) return HandlerOutcome.Done;
        // order-service accepts only zones that pass the same rule, so any other is a malformed event.
        if (!InputRules.IsId(e.OrderId) || !InputRules.IsZone(e.DeliveryZone)) return HandlerOutcome.Drop;
        var delivery = await services.GetRequiredService<DeliveryDispatcher>().ScheduleAsync(e.OrderId, e.Flow, e.DeliveryZone, cancellationToken);
        return delivery.IsAtRest ? HandlerOutcome.Done : HandlerOutcome.Retry;
    }

    // Idempotent: cancelling is recorded once on the delivery (or as a tombstone when it came
    // first), and the courier frees an order's slot only while it is active.
    private static async Task<HandlerOutcome> OnOrderCancelledAsync(OrderCancelled e, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (e.Flow != SagaFlow.Choreography) return HandlerOutcome.Done;
        if (!InputRules.IsId(e.OrderId)) return HandlerOutcome.Drop;
        var delivery = await services.GetRequiredService<DeliveryDispatcher>().CancelAsync(e.OrderId, e.Flow, e.Reason, cancellationToken);
        return delivery.IsAtRest ? HandlerOutcome.Done : HandlerOutcome.Retry;
    }
}
