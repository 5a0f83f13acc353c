using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.InventoryService.Reservations;

/// <summary>
/// The choreography reactions. Each is idempotent per order id because the reservation record
/// decides once and every product step is a no-op when repeated, so a redelivered event repeats
/// the stored answer, never the effect. Events of orchestrated orders are acknowledged and left
/// alone: the orchestrator drives those reservations by command.
/// </summary>
public static class ReservationEvents
{
    public static IEndpointRouteBuilder MapReservationEvents(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapEventHandler<OrderPlaced>(async (placed, services, cancellationToken) =>
        {
            if (placed.Flow != SagaFlow.Choreography) return HandlerOutcome.Done;
            var request = ReservationRequest.From(placed);
            if (request.Problem() is { } problem)
            {
                Log(services, placed.OrderId, problem);
                return HandlerOutcome.Drop;
            }
            await services.GetRequiredService<StockReservations>().ReserveAsync(request, cancellationToken);
            return HandlerOutcome.Done;
        });

        endpoints.MapEventHandler<OrderCancelled>(async (cancelled, services, cancellationToken) =>
        {
            if (cancelled.Flow != SagaFlow.Choreography) return HandlerOutcome.Done;
            if (!InputRules.IsId(cancelled.OrderId)) return HandlerOutcome.Drop;
            var reservation = await services.GetRequiredService<StockReservations>().ReleaseAsync(cancelled.OrderId, cancelled.Flow, cancellationToken);
            // Still taking its holds: release once they are all taken (or given back).
            return reservation.Phase == ReservationPhase.Reserving ? HandlerOutcome.Retry : HandlerOutcome.Done;
        });

        endpoints.MapEventHandler<OrderCompleted>(async (completed, services, cancellationToken) =>
        {
            if (completed.Flow != SagaFlow.Choreography) return HandlerOutcome.Done;
            if (!InputRules.IsId(completed.OrderId)) return HandlerOutcome.Drop;
            var reservation = await services.GetRequiredService<StockReservations>().CommitAsync(completed.OrderId, cancellationToken);
            // Completed before its reservation was made (a reordered delivery): it depends on it.
            return reservation is null or { Phase: ReservationPhase.Reserving } ? HandlerOutcome.Retry : HandlerOutcome.Done;
        });
        return endpoints;
    }

    private static void Log(IServiceProvider services, string orderId, string problem) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ReservationEvents))
            .LogWarning("Dropping order-placed for {OrderId}: {Problem}", orderId, problem);
}
