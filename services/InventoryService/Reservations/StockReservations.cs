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
/// ETag), and every product step is a conditional write of one product key that is a no-op when
/// already done. Redis transactions do not roll back, so no step spans two keys. The record is
/// always written before the products follow it: Reserving before the holds are taken, and each
/// end (with its event) before the holds are given back or sold.
/// </summary>
public sealed class StockReservations(
    DaprClient dapr, Outbox outbox, ServiceIdentity service, ProductCatalogue catalogue, TimeProvider time)
{
    // Reservations that may have product steps to do: entered before the Reserving record can land,
    // left once the record is final and every product follows it (a final record never changes, so
    // leaving cannot race with a new phase). Reserved ones stay in it until their order ends, so
    // whatever ends them is found again after a crash.
    private readonly ShardedIndex _open = new(dapr, service.StateStore, OpenIndexName);

    public const string OpenIndexName = "reservations-open";

    public static string KeyOf(string orderId) => "reservation-" + orderId;

    public Task<Reservation?> GetAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Reservation?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    /// <summary>Reserves all or nothing; a repeat finishes (if need be) and returns the first decision.</summary>
    public async Task<Reservation> ReserveAsync(ReservationRequest request, CancellationToken cancellationToken)
    {
        // No read of the record first: the change reads it anyway and keeps an existing one as it is;
        // only a repeat reads the products for nothing. The holds start from this same read.
        var asRead = await catalogue.ReadManyAsync(request.Items.Select(i => i.ProductId), cancellationToken);
        var products = asRead.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal);
        var reservation = await ChangeAsync(request.OrderId, r => Reservation.Open(r, request, products, Now), cancellationToken,
            // Only a reservation that will take holds needs finding again after a crash; its key is
            // entered before the record can land (idempotent, so a retried write may enter it again).
            (_, next, ct) => next.IsUnfinished ? _open.AddAsync(next.OrderId, ct) : Task.CompletedTask);
        return await ProgressAsync(reservation, cancellationToken, asRead);
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

    /// <summary>Commits a live reservation; null when the order has none yet. Reserving is returned as is: come back later.</summary>
    public async Task<Reservation?> CommitAsync(string orderId, CancellationToken cancellationToken)
    {
        // No read first: Complete leaves anything but Reserved as it is, and a missing record stays missing.
        var reservation = (await outbox.ChangeAsync<Reservation>(KeyOf(orderId), r => r?.Complete(Now), cancellationToken)).Value;
        if (reservation is null or { Phase: ReservationPhase.Reserving }) return reservation;
        return await ProgressAsync(reservation, cancellationToken);
    }

    /// <summary>The sweep: finishes every product step a crash (or a lost trigger) left undone.</summary>
    public async Task<int> ResumeUnfinishedAsync(CancellationToken cancellationToken)
    {
        var resumed = 0;
        foreach (var orderId in await _open.ListAsync(cancellationToken))
        {
            // A missing record may still be being created by its first writer: leave its entry.
            var reservation = await GetAsync(orderId, cancellationToken);
            if (reservation is null) continue;
            if (reservation.IsUnfinished || reservation.SettlesHolds) resumed++;
            reservation = await ProgressAsync(reservation, cancellationToken);
            // An entry whose record another writer created final (refused, or a tombstone) has nothing to settle.
            if (reservation is { IsFinal: true, TookNoHolds: true }) await _open.RemoveAsync(orderId, cancellationToken);
        }
        return resumed;
    }

    /// <summary>
    /// Does the product steps the record calls for: takes the holds while Reserving; once final,
    /// makes every product follow the end, then leaves the open index. Every step is idempotent,
    /// so whoever finds the record (a repeat, another trigger, the sweep) may do them again.
    /// </summary>
    private async Task<Reservation> ProgressAsync(
        Reservation reservation, CancellationToken cancellationToken, IReadOnlyDictionary<string, ProductAsRead>? asRead = null)
    {
        if (reservation.IsUnfinished) reservation = await HoldAllAsync(reservation, asRead, cancellationToken);
        if (!reservation.SettlesHolds) return reservation;
        // The end is written, so no hold of this order can be taken any more: a release leaves a
        // marker where there was no hold (for a racing holder that comes later), and a commit
        // follows an AllHeld that found every hold in place.
        var orderId = reservation.OrderId;
        foreach (var productId in reservation.Quantities.Keys)
        {
            if (reservation.Phase == ReservationPhase.Committed) await catalogue.CommitAsync(productId, orderId, cancellationToken);
            else await catalogue.ReleaseAsync(productId, orderId, cancellationToken);
        }
        // Left only once every product follows the end: a crash before this leaves it for the sweep.
        await _open.RemoveAsync(orderId, cancellationToken);
        return reservation;
    }

    /// <summary>Takes the holds one product at a time; the first shortage rejects the reservation (its holds go back next).</summary>
    private async Task<Reservation> HoldAllAsync(
        Reservation reservation, IReadOnlyDictionary<string, ProductAsRead>? asRead, CancellationToken cancellationToken)
    {
        foreach (var (productId, quantity) in reservation.Quantities)
        {
            var read = asRead?.GetValueOrDefault(productId);
            switch (await catalogue.HoldAsync(productId, reservation.OrderId, quantity, read, cancellationToken))
            {
                case HoldOutcome.Short:
                    return await ChangeAsync(reservation.OrderId, r => r?.ShortOfStock(Now), cancellationToken);
                case HoldOutcome.Settled:
                    // Another worker already ended this reservation (a hold is settled only after its end is written): follow the record.
                    var current = await GetAsync(reservation.OrderId, cancellationToken);
                    return current is { Phase: not ReservationPhase.Reserving }
                        ? current
                        : throw new InvalidOperationException($"order {reservation.OrderId} has a settled hold on {productId} while still reserving");
            }
        }
        return await ChangeAsync(reservation.OrderId, r => r?.AllHeld(Now), cancellationToken);
    }

    private DateTimeOffset Now => time.GetUtcNow();

    private async Task<Reservation> ChangeAsync(
        string orderId, Func<Reservation?, Reservation?> decide, CancellationToken cancellationToken,
        Func<Reservation?, Reservation, CancellationToken, Task>? beforeWrite = null) =>
        (await outbox.ChangeAsync(KeyOf(orderId), decide, cancellationToken, beforeWrite)).Value
        ?? throw new InvalidOperationException($"reservation {orderId} vanished");
}
