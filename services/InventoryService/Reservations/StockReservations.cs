using Dapr.Client;
using DaprSaga.InventoryService.Products;
using Microsoft.Extensions.Options;

namespace DaprSaga.InventoryService.Reservations;

/// <summary>
/// The reservation operations of both flows, idempotent per order id: the record decides once and
/// every product step is a one-key conditional write that is a no-op when done. The record is
/// written before the products follow it (Reserving before the holds, each end before they settle);
/// a reservation not at rest stays in the outbox listing, whose sweep carries it on.
/// </summary>
public sealed class StockReservations(
    DaprClient dapr, Outbox outbox, ServiceIdentity service, ProductCatalogue catalogue, TimeProvider time, IOptions<HoldOptions> holds,
    ILogger<StockReservations> log) : IListedWork<Reservation>
{
    public static string KeyOf(string orderId) => "reservation-" + orderId;

    public Task<Reservation?> GetAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Reservation?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    public async Task<Reservation> ReserveAsync(ReservationRequest request, CancellationToken cancellationToken)
    {
        // No read of the record first: the change reads it anyway; the holds start from this product read.
        var asRead = await catalogue.ReadManyAsync(request.Items.Select(i => i.ProductId), cancellationToken);
        var products = asRead.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal);
        // The first delivery finds no reservation, so it is not read first: a first-write is refused if one exists.
        var reservation = (await outbox.ChangeAsync<Reservation>(
            KeyOf(request.OrderId), r => Reservation.Open(r, request, products, Now), cancellationToken, freshKey: true)).Value!;
        return await ProgressAsync(reservation, cancellationToken, asRead);
    }

    public async Task<Reservation> ReleaseAsync(string orderId, SagaFlow flow, CancellationToken cancellationToken)
    {
        var reservation = await ChangeAsync(orderId, r => Reservation.Cancel(r, orderId, flow, Now), cancellationToken);
        // Still taking holds (its handler or the sweep): releasing now would race it.
        if (reservation.Phase == ReservationPhase.Reserving) return reservation;
        return await ProgressAsync(reservation, cancellationToken);
    }

    /// <summary>The release command answers settled: a reservation still taking holds is finished here first (holds are idempotent per order).</summary>
    public async Task<Reservation> ReleaseSettledAsync(string orderId, SagaFlow flow, CancellationToken cancellationToken)
    {
        while (true)
        {
            var reservation = await ReleaseAsync(orderId, flow, cancellationToken);
            if (reservation.Phase != ReservationPhase.Reserving) return reservation;
            await ProgressAsync(reservation, cancellationToken);
        }
    }

    public async Task<Reservation?> CommitAsync(string orderId, CancellationToken cancellationToken)
    {
        var reservation = (await outbox.ChangeAsync<Reservation>(KeyOf(orderId), r => r?.Complete(Now), cancellationToken)).Value;
        if (reservation is null or { Phase: ReservationPhase.Reserving }) return reservation;
        return await ProgressAsync(reservation, cancellationToken);
    }

    /// <summary>
    /// The sweep's work, from its read of the listed reservations not at rest and one bulk read of their products:
    /// finishes what is unfinished and makes every product follow a final one, which is then at rest (a final record never changes).
    /// </summary>
    public async Task<IReadOnlyCollection<string>> CarryOnAsync(IReadOnlyDictionary<string, Reservation> notAtRest, CancellationToken cancellationToken)
    {
        var products = await catalogue.GetManyAsync(
            notAtRest.Values.Where(r => r.SettlesHolds).SelectMany(r => r.Quantities.Keys), cancellationToken);
        var rested = new List<string>();
        await RecoveryPass.RunAsync(notAtRest.Keys, async key =>
        {
            var reservation = notAtRest[key];
            if (!reservation.IsFinal || !ProductsFollow(reservation, products)) await ProgressAsync(reservation, cancellationToken);
            if (reservation.IsFinal) rested.Add(key);
        }, log, cancellationToken);
        return rested;
    }

    // Each product holds the order's end: committed, or given back (a marker of 0 where it never held).
    private static bool ProductsFollow(Reservation reservation, IReadOnlyDictionary<string, Product> products)
    {
        var end = reservation.Phase == ReservationPhase.Committed ? HoldState.Committed : HoldState.Released;
        return reservation.Quantities.Keys.All(id => products.GetValueOrDefault(id)?.Holds.GetValueOrDefault(reservation.OrderId)?.State == end);
    }

    /// <summary>Takes the holds while Reserving; once final, makes every product follow the end. Idempotent, so anyone may redo it.</summary>
    private async Task<Reservation> ProgressAsync(
        Reservation reservation, CancellationToken cancellationToken, IReadOnlyDictionary<string, Stored<Product>>? asRead = null)
    {
        if (reservation.IsUnfinished) reservation = await HoldAllAsync(reservation, asRead, cancellationToken);
        if (!reservation.SettlesHolds) return reservation;
        var orderId = reservation.OrderId;
        foreach (var productId in reservation.Quantities.Keys)
        {
            if (reservation.Phase == ReservationPhase.Committed) await catalogue.CommitAsync(productId, orderId, cancellationToken);
            else await catalogue.ReleaseAsync(productId, orderId, cancellationToken);
        }
        return reservation;
    }

    /// <summary>The first shortage rejects the reservation (its holds go back next).</summary>
    private async Task<Reservation> HoldAllAsync(
        Reservation reservation, IReadOnlyDictionary<string, Stored<Product>>? asRead, CancellationToken cancellationToken)
    {
        var holdBy = reservation.HoldBy(holds.Value.TakeWithin);
        foreach (var (productId, quantity) in reservation.Quantities)
        {
            var read = asRead?.GetValueOrDefault(productId);
            switch (await catalogue.HoldAsync(productId, reservation.OrderId, quantity, holdBy, read, cancellationToken))
            {
                case HoldOutcome.Short:
                    return await ChangeAsync(reservation.OrderId, r => r?.ShortOfStock(Now), cancellationToken);
                case HoldOutcome.Late:
                    return await ChangeAsync(reservation.OrderId, r => r?.TimedOut(Now), cancellationToken);
                case HoldOutcome.Settled:
                    // A hold settles only after the end is written: another worker ended it.
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
