using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.InventoryService.Products;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.InventoryService.Reservations;

/// <summary>
/// The reservation operations, shared by the choreography handlers and the orchestrator's
/// commands. Each is idempotent per order id: the reservation record decides once (first-write or
/// ETag), then the product steps of its phase run, each a conditional write of one product key
/// that is a no-op when already done, and a last conditional write of the record ends the phase
/// with its event. Redis transactions do not roll back, so no step spans two keys.
/// </summary>
public sealed class StockReservations(
    DaprClient dapr, Outbox outbox, ServiceIdentity service, ProductCatalogue catalogue, TimeProvider time)
{
    // Reservations that may have a phase to finish: entered before Reserving starts, left only once
    // final (a final record never changes, so leaving cannot race with a new phase). Reserved ones
    // stay in it until their order ends.
    private readonly ShardedIndex _open = new(dapr, service.StateStore, OpenIndexName);

    public const string OpenIndexName = "reservations-open";

    public static string KeyOf(string orderId) => "reservation-" + orderId;

    public Task<Reservation?> GetAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Reservation?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    /// <summary>Reserves all or nothing; a repeat finishes (if need be) and returns the first decision.</summary>
    public async Task<Reservation> ReserveAsync(ReservationRequest request, CancellationToken cancellationToken)
    {
        var reservation = await GetAsync(request.OrderId, cancellationToken);
        if (reservation is null)
        {
            var products = await catalogue.GetManyAsync(request.Items.Select(i => i.ProductId), cancellationToken);
            // Only a reservation that will take holds needs finding again after a crash.
            if (Reservation.Refusal(request.Items, products) is null) await _open.AddAsync(request.OrderId, cancellationToken);
            reservation = await ChangeAsync(request.OrderId, r => Reservation.Open(r, request, products, Now), cancellationToken);
        }
        return await ProgressAsync(reservation, cancellationToken);
    }

    /// <summary>Releases a live reservation, or leaves a tombstone when there is none yet. Reserving is returned as is: come back later.</summary>
    public async Task<Reservation> ReleaseAsync(string orderId, SagaFlow flow, CancellationToken cancellationToken)
    {
        var reservation = await ChangeAsync(orderId, r => Reservation.Cancel(r, orderId, flow, Now), cancellationToken);
        // Its order-placed handler (or the sweep) is still taking holds; releasing now would race it.
        if (reservation.Phase == ReservationPhase.Reserving) return reservation;
        return await ProgressAsync(reservation, cancellationToken);
    }

    /// <summary>
    /// The release command, which must answer with a settled state: a reservation still taking its
    /// holds is finished here first (each hold is idempotent per order id, so racing its other
    /// worker is harmless), then released like any other.
    /// </summary>
    public async Task<Reservation> ReleaseSettledAsync(string orderId, SagaFlow flow, CancellationToken cancellationToken)
    {
        while (true)
        {
            var reservation = await ReleaseAsync(orderId, flow, cancellationToken);
            if (reservation.Phase != ReservationPhase.Reserving) return reservation;
            await ProgressAsync(reservation, cancellationToken);
        }
    }

    /// <summary>Commits a live reservation; null when the order has none yet.</summary>
    public async Task<Reservation?> CommitAsync(string orderId, CancellationToken cancellationToken)
    {
        var reservation = await GetAsync(orderId, cancellationToken);
        if (reservation is not { Phase: ReservationPhase.Reserved or ReservationPhase.Committing }) return reservation;
        return await ProgressAsync(await ChangeAsync(orderId, r => r?.Complete(Now), cancellationToken), cancellationToken);
    }

    /// <summary>The sweep: finishes every phase a crash (or a lost trigger) left under way.</summary>
    public async Task<int> ResumeUnfinishedAsync(CancellationToken cancellationToken)
    {
        var resumed = 0;
        foreach (var orderId in await _open.ListAsync(cancellationToken))
        {
            // A missing record may still be being created by its first writer: leave its entry.
            var reservation = await GetAsync(orderId, cancellationToken);
            if (reservation is null) continue;
            if (reservation.IsUnfinished) resumed++;
            reservation = await ProgressAsync(reservation, cancellationToken);
            // Also clears entries a crash left between ending a phase and leaving the index.
            if (reservation.IsFinal) await _open.RemoveAsync(orderId, cancellationToken);
        }
        return resumed;
    }

    /// <summary>Runs the product steps of the record's phase and ends it, until the record rests.</summary>
    private async Task<Reservation> ProgressAsync(Reservation reservation, CancellationToken cancellationToken)
    {
        if (!reservation.IsUnfinished) return reservation;
        while (reservation.IsUnfinished)
        {
            var orderId = reservation.OrderId;
            switch (reservation.Phase)
            {
                case ReservationPhase.Reserving:
                    reservation = await HoldAllAsync(reservation, cancellationToken);
                    break;
                case ReservationPhase.Rejecting or ReservationPhase.Releasing:
                    // Every item, held or not: a hold left as a released marker cannot be taken later.
                    foreach (var productId in reservation.Quantities.Keys) await catalogue.ReleaseAsync(productId, orderId, cancellationToken);
                    reservation = await ChangeAsync(orderId, r => r?.HoldsReleased(Now), cancellationToken);
                    break;
                case ReservationPhase.Committing:
                    foreach (var productId in reservation.Quantities.Keys) await catalogue.CommitAsync(productId, orderId, cancellationToken);
                    reservation = await ChangeAsync(orderId, r => r?.HoldsCommitted(Now), cancellationToken);
                    break;
            }
        }
        if (reservation.IsFinal) await _open.RemoveAsync(reservation.OrderId, cancellationToken);
        return reservation;
    }

    /// <summary>Takes the holds one product at a time; the first shortage turns the reservation to Rejecting.</summary>
    private async Task<Reservation> HoldAllAsync(Reservation reservation, CancellationToken cancellationToken)
    {
        foreach (var (productId, quantity) in reservation.Quantities)
        {
            switch (await catalogue.HoldAsync(productId, reservation.OrderId, quantity, cancellationToken))
            {
                case HoldOutcome.Short:
                    return await ChangeAsync(reservation.OrderId, r => r?.ShortOfStock(Now), cancellationToken);
                case HoldOutcome.Settled:
                    // Another worker already ended this reservation's holding: follow the record.
                    var current = await GetAsync(reservation.OrderId, cancellationToken);
                    return current is { Phase: not ReservationPhase.Reserving }
                        ? current
                        : throw new InvalidOperationException($"order {reservation.OrderId} has a settled hold on {productId} while still reserving");
            }
        }
        return await ChangeAsync(reservation.OrderId, r => r?.AllHeld(Now), cancellationToken);
    }

    private DateTimeOffset Now => time.GetUtcNow();

    private async Task<Reservation> ChangeAsync(string orderId, Func<Reservation?, Reservation?> decide, CancellationToken cancellationToken) =>
        (await outbox.ChangeAsync(KeyOf(orderId), decide, cancellationToken)).Value
        ?? throw new InvalidOperationException($"reservation {orderId} vanished");
}
