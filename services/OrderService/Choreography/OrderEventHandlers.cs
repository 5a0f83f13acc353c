using DaprSaga.Contracts;
using DaprSaga.OrderService.Orders;
using DaprSaga.OrderService.Timeline;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.OrderService.Choreography;

/// <summary>
/// The order's side of the choreography table: the participants' outcomes decide the order's
/// fate here, and only here. Every handler is idempotent because the order records each trigger
/// it takes: a redelivered event finds its history entry and changes (and emits) nothing.
/// </summary>
public static class OrderEventHandlers
{
    public static IEndpointRouteBuilder MapOrderEventHandlers(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapReaction<StockReservationFailed>(e => OrderTrigger.StockReservationFailed(e.Reason));
        endpoints.MapReaction<PaymentRequested>(_ => OrderTrigger.PaymentRequested);
        endpoints.MapReaction<PaymentConfirmed>(_ => OrderTrigger.PaymentConfirmed);
        endpoints.MapReaction<PaymentCancelled>(e => OrderTrigger.PaymentCancelled(e.Reason));
        endpoints.MapReaction<DeliveryScheduled>(_ => OrderTrigger.DeliveryScheduled);
        endpoints.MapReaction<DeliveryFailed>(_ => OrderTrigger.DeliveryFailed);

        // Facts for the timeline: recorded once per topic, never acted on.
        endpoints.MapFact<StockReserved>();
        endpoints.MapFact<StockReleased>();
        endpoints.MapFact<StockCommitted>();
        endpoints.MapFact<PaymentRefunded>();
        endpoints.MapFact<DeliveryCancelled>();
        return endpoints;
    }

    private static void MapReaction<TEvent>(this IEndpointRouteBuilder endpoints, Func<TEvent, OrderTrigger> trigger)
        where TEvent : class, IIntegrationEvent =>
        endpoints.MapEventHandler<TEvent>((e, services, cancellationToken) =>
        {
            // The other flow's events are only recorded: its orchestrator drives those orders.
            var choreography = e.Flow == SagaFlow.Choreography;
            return ChangeAsync(e, services, (o, now) => o.Apply(trigger(e), choreography && o.Flow == SagaFlow.Choreography, now, ReceivedEvent.Of(e)), cancellationToken);
        });

    private static void MapFact<TEvent>(this IEndpointRouteBuilder endpoints) where TEvent : class, IIntegrationEvent =>
        endpoints.MapEventHandler<TEvent>((e, services, cancellationToken) =>
            ChangeAsync(e, services, (o, now) => o.RecordFact(TEvent.Topic, now, ReceivedEvent.Of(e)), cancellationToken));

    private static async Task<HandlerOutcome> ChangeAsync(
        IIntegrationEvent e, IServiceProvider services, Func<Order, DateTimeOffset, Order?> decide, CancellationToken cancellationToken)
    {
        var order = await services.GetRequiredService<OrderBook>().ChangeAsync(e.OrderId, decide, cancellationToken);
        // Only a reordering with the order's own creation brings an event first: deliver it again later.
        return order is null ? HandlerOutcome.Retry : HandlerOutcome.Done;
    }
}
