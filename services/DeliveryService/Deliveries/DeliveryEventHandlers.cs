namespace DaprSaga.DeliveryService.Deliveries;

/// <summary>Idempotent: created once per order; a redelivery carries on an unfinished assignment; a courier answers an order once.</summary>
public sealed class ScheduleDeliveryOnOrderConfirmed(DeliveryDispatcher dispatcher) : IEventHandler<OrderConfirmed>
{
    public async Task<HandlerOutcome> HandleAsync(OrderConfirmed e, CancellationToken cancellationToken)
    {
        // order-service accepts only zones that pass the same rule, so any other is a malformed event.
        if (!InputRules.IsZone(e.DeliveryZone)) return HandlerOutcome.Drop;
        var delivery = await dispatcher.ScheduleAsync(e.OrderId, e.Flow, e.DeliveryZone, cancellationToken);
        return delivery.IsAtRest ? HandlerOutcome.Done : HandlerOutcome.Retry;
    }
}

/// <summary>Idempotent: cancelling is recorded once (a tombstone when it comes first); a courier frees only an active slot.</summary>
public sealed class CancelDeliveryOnOrderCancelled(DeliveryDispatcher dispatcher) : IEventHandler<OrderCancelled>
{
    public async Task<HandlerOutcome> HandleAsync(OrderCancelled e, CancellationToken cancellationToken)
    {
        var delivery = await dispatcher.CancelAsync(e.OrderId, e.Flow, e.Reason, cancellationToken);
        return delivery.IsAtRest ? HandlerOutcome.Done : HandlerOutcome.Retry;
    }
}
