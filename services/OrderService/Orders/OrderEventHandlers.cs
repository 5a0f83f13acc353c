using DaprSaga.OrderService.Timeline;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderService.Orders;

/// <summary>
/// A participant's outcome moves a choreography order (an orchestrator drives the others: recorded
/// only); a fact is recorded for the timeline. The order records each trigger once, so a
/// redelivery changes nothing; an event that overtook its order's creation is retried.
/// </summary>
public sealed class ApplyToOrder<TEvent>(OrderBook orders) : IEventHandler<TEvent> where TEvent : class, IIntegrationEvent
{
    public async Task<HandlerOutcome> HandleAsync(TEvent e, CancellationToken cancellationToken)
    {
        var trigger = TriggerOf(e);
        var reacts = e.Flow == SagaFlow.Choreography;
        var order = await orders.ChangeAsync(e.OrderId, (o, now) => trigger is null
            ? o.RecordFact(TEvent.Topic, now, ReceivedEvent.Of(e))
            : o.Apply(trigger, reacts && o.Flow == SagaFlow.Choreography, now, ReceivedEvent.Of(e)), cancellationToken);
        return order is null ? HandlerOutcome.Retry : HandlerOutcome.Done;
    }

    private static OrderTrigger? TriggerOf(TEvent e) => e switch
    {
        StockReservationFailed failed => OrderTrigger.StockReservationFailed(failed.Reason),
        PaymentRequested => OrderTrigger.PaymentRequested,
        PaymentConfirmed => OrderTrigger.PaymentConfirmed,
        PaymentCancelled cancelled => OrderTrigger.PaymentCancelled(cancelled.Reason),
        DeliveryScheduled => OrderTrigger.DeliveryScheduled,
        DeliveryFailed => OrderTrigger.DeliveryFailed,
        _ => null,
    };
}

/// <summary>The saga deadline: no order stays open forever, a dead-lettered event included.</summary>
public sealed class OverdueOrders(OrderBook orders, IOptions<OrderOptions> options) : IScheduledPass
{
    public Task<int> RunAsync(CancellationToken cancellationToken) => orders.CancelOverdueAsync(options.Value.SagaDeadline, cancellationToken);
}
