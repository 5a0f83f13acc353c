namespace DaprSaga.InventoryService.Reservations;

/// <summary>Idempotent: the reservation is decided once per order and every product step is a no-op when repeated.</summary>
public sealed class ReserveStockOnOrderPlaced(StockReservations reservations, ILogger<ReserveStockOnOrderPlaced> log)
    : IEventHandler<OrderPlaced>
{
    public async Task<HandlerOutcome> HandleAsync(OrderPlaced placed, CancellationToken cancellationToken)
    {
        var request = ReservationRequest.From(placed);
        if (request.Problem() is { } problem)
        {
            log.LogWarning("Dropping order-placed for {OrderId}: {Problem}", placed.OrderId, problem);
            return HandlerOutcome.Drop;
        }
        await reservations.ReserveAsync(request, cancellationToken);
        return HandlerOutcome.Done;
    }
}

public sealed class ReleaseStockOnOrderCancelled(StockReservations reservations) : IEventHandler<OrderCancelled>
{
    public async Task<HandlerOutcome> HandleAsync(OrderCancelled cancelled, CancellationToken cancellationToken)
    {
        var reservation = await reservations.ReleaseAsync(cancelled.OrderId, cancelled.Flow, cancellationToken);
        // Still taking its holds: release once they are all taken.
        return reservation.Phase == ReservationPhase.Reserving ? HandlerOutcome.Retry : HandlerOutcome.Done;
    }
}

public sealed class CommitStockOnOrderCompleted(StockReservations reservations) : IEventHandler<OrderCompleted>
{
    public async Task<HandlerOutcome> HandleAsync(OrderCompleted completed, CancellationToken cancellationToken)
    {
        var reservation = await reservations.CommitAsync(completed.OrderId, cancellationToken);
        // Completed before its reservation was made (a reordered delivery): it depends on it.
        return reservation is null or { Phase: ReservationPhase.Reserving } ? HandlerOutcome.Retry : HandlerOutcome.Done;
    }
}
