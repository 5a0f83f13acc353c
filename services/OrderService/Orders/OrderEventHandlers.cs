using DaprSaga.Contracts;
using DaprSaga.OrderService.Timeline;
using DaprSaga.ServiceDefaults.Messaging;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderService.Orders;

/// <summary>
/// The participants' outcomes decide a choreography order's fate here, and only here; an
/// orchestration event is only recorded, as its orchestrator drives that order. Idempotent: the
/// order records each trigger it takes, so a redelivery changes and emits nothing. An event that
/// comes before its order's creation (a reordering) is retried.
/// </summary>
public sealed class ApplyToOrder(OrderBook orders) :
    IEventHandler<StockReservationFailed>, IEventHandler<PaymentRequested>, IEventHandler<PaymentConfirmed>,
    IEventHandler<PaymentCancelled>, IEventHandler<DeliveryScheduled>, IEventHandler<DeliveryFailed>
{
    public Task<HandlerOutcome> HandleAsync(StockReservationFailed e, CancellationToken cancellationToken) =>
        ApplyAsync(e, OrderTrigger.StockReservationFailed(e.Reason), cancellationToken);

    public Task<HandlerOutcome> HandleAsync(PaymentRequested e, CancellationToken cancellationToken) =>
        ApplyAsync(e, OrderTrigger.PaymentRequested, cancellationToken);

    public Task<HandlerOutcome> HandleAsync(PaymentConfirmed e, CancellationToken cancellationToken) =>
        ApplyAsync(e, OrderTrigger.PaymentConfirmed, cancellationToken);

    public Task<HandlerOutcome> HandleAsync(PaymentCancelled e, CancellationToken cancellationToken) =>
        ApplyAsync(e, OrderTrigger.PaymentCancelled(e.Reason), cancellationToken);

    public Task<HandlerOutcome> HandleAsync(DeliveryScheduled e, CancellationToken cancellationToken) =>
        ApplyAsync(e, OrderTrigger.DeliveryScheduled, cancellationToken);

    public Task<HandlerOutcome> HandleAsync(DeliveryFailed e, CancellationToken cancellationToken) =>
        ApplyAsync(e, OrderTrigger.DeliveryFailed, cancellationToken);

    private async Task<HandlerOutcome> ApplyAsync<TEvent>(TEvent e, OrderTrigger trigger, CancellationToken cancellationToken)
        where TEvent : IIntegrationEvent
    {
        var reacts = e.Flow == SagaFlow.Choreography;
        var order = await orders.ChangeAsync(
            e.OrderId, (o, now) => o.Apply(trigger, reacts && o.Flow == SagaFlow.Choreography, now, ReceivedEvent.Of(e)), cancellationToken);
        return order is null ? HandlerOutcome.Retry : HandlerOutcome.Done;
    }
}

/// <summary>Records another participant's fact once per topic, for the timeline; never acted on.</summary>
public sealed class RecordOnOrder<TEvent>(OrderBook orders) : IEventHandler<TEvent> where TEvent : class, IIntegrationEvent
{
    public async Task<HandlerOutcome> HandleAsync(TEvent e, CancellationToken cancellationToken) =>
        await orders.ChangeAsync(e.OrderId, (o, now) => o.RecordFact(TEvent.Topic, now, ReceivedEvent.Of(e)), cancellationToken) is null
            ? HandlerOutcome.Retry
            : HandlerOutcome.Done;
}

/// <summary>The saga deadline: no order stays open forever, a dead-lettered event included.</summary>
public sealed class OverdueOrders(OrderBook orders, IOptions<OrderOptions> options) : IScheduledPass
{
    public Task<int> RunAsync(CancellationToken cancellationToken) => orders.CancelOverdueAsync(options.Value.SagaDeadline, cancellationToken);
}
