using System.Text.Json.Serialization;
using DaprSaga.InventoryService.Products;

namespace DaprSaga.InventoryService.Reservations;

/// <summary>
/// Reserving anchors the holds taken one product key at a time, so whoever finds it (a redelivered
/// trigger or the sweep) finishes them. Each end is written before the products follow it.
/// </summary>
public enum ReservationPhase
{
    Reserving,
    Reserved,
    Rejected,
    Released,
    Committed,
}

public enum ReservationStatus { Reserved, Released, Committed, Rejected }

public sealed record ReservationRequest(
    string OrderId, SagaFlow Flow, string CustomerId, IReadOnlyList<OrderLine> Items, decimal Amount, bool AutoConfirmPayment)
{
    public static ReservationRequest From(OrderPlaced placed) => new(
        placed.OrderId, placed.Flow, placed.CustomerId, placed.Items, placed.Total, placed.AutoConfirmPayment);

    /// <summary>Why the request can never be served (a poison message), or null when it is well formed.</summary>
    public string? Problem() =>
        !InputRules.IsId(OrderId) ? "orderId is not a valid id"
        : Items is not { Count: > 0 } ? "items is empty"
        : Items.FirstOrDefault(i => !InputRules.IsId(i.ProductId)) is { } badId ? $"productId '{badId.ProductId}' is not a valid id"
        : Items.Any(i => !InputRules.IsQuantity(i.Quantity)) ? $"a quantity {InputRules.QuantityMessage}"
        : Items.Any(i => !InputRules.IsMoney(i.UnitPrice)) ? $"a unitPrice {InputRules.MoneyMessage}"
        : null;
}

/// <summary>
/// One order's reservation and its outbox. A transition that does not apply (already applied, or
/// the reservation moved on) returns this same instance, which stores nothing.
/// </summary>
public sealed record Reservation(
    string OrderId,
    SagaFlow Flow,
    ReservationPhase Phase,
    IReadOnlyList<OrderLine> Items,
    CancellationReason? Reason,
    string CustomerId,
    decimal Amount,
    bool AutoConfirmPayment,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<OutboxMessage> Outbox,
    string? OutboxListing = null,
    bool TookNoHolds = false) : IOutboxRecord<Reservation>
{
    public Reservation WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing) => this with { Outbox = outbox, OutboxListing = listing };

    // A requested reservation has at least one line.
    [JsonIgnore]
    public bool IsTombstone => Items.Count == 0;

    public IReadOnlyDictionary<string, int> Quantities =>
        Items.GroupBy(i => i.ProductId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(i => i.Quantity), StringComparer.Ordinal);

    public bool IsUnfinished => Phase == ReservationPhase.Reserving;

    /// <summary>When its holds must be taken by; Reserving is written once, so <see cref="UpdatedAt"/> is when it opened.</summary>
    public DateTimeOffset HoldBy(TimeSpan takeWithin) => UpdatedAt + takeWithin;

    public bool IsFinal => Phase is ReservationPhase.Rejected or ReservationPhase.Released or ReservationPhase.Committed;

    /// <summary>Ended and may have taken holds, so every product must follow the end; redone whenever in doubt.</summary>
    public bool SettlesHolds => IsFinal && !TookNoHolds;

    /// <summary>Ended without holds to settle; one that settles holds rests once the sweep saw every product follow it.</summary>
    [JsonIgnore]
    public bool IsAtRest => IsFinal && !SettlesHolds;

    // Its holds are carried on by the sweep, which also checks that every product followed its end.
    [JsonIgnore]
    public bool AwaitsAPass => !IsAtRest;

    public ReservationStatus? Status => Phase switch
    {
        ReservationPhase.Reserved => ReservationStatus.Reserved,
        ReservationPhase.Rejected => ReservationStatus.Rejected,
        ReservationPhase.Released => ReservationStatus.Released,
        ReservationPhase.Committed => ReservationStatus.Committed,
        _ => null,
    };

    /// <summary>
    /// The first decision on an order, all or nothing: Rejected (no hold taken) or Reserving. An
    /// existing record (a repeat, or a tombstone of an order cancelled first) is never decided again.
    /// </summary>
    public static Reservation? Open(
        Reservation? existing, ReservationRequest request, IReadOnlyDictionary<string, Product> products, DateTimeOffset now)
    {
        if (existing is not null) return existing;
        var opened = new Reservation(request.OrderId, request.Flow, ReservationPhase.Reserving, request.Items, null,
            request.CustomerId, request.Amount, request.AutoConfirmPayment, now, []);
        return Refusal(request.Items, products) is { } reason ? (opened with { TookNoHolds = true }).Rejected(reason, now) : opened;
    }

    public static CancellationReason? Refusal(IReadOnlyList<OrderLine> items, IReadOnlyDictionary<string, Product> products)
    {
        if (items.Any(i => !products.ContainsKey(i.ProductId))) return CancellationReason.UnknownProduct;
        if (items.Any(i => products[i.ProductId].Price != i.UnitPrice)) return CancellationReason.PriceChanged;
        var wanted = items.GroupBy(i => i.ProductId).Select(g => (Product: products[g.Key], Quantity: g.Sum(i => i.Quantity)));
        if (wanted.Any(w => w.Product.OnHand < w.Quantity)) return CancellationReason.OutOfStock;
        return null;
    }

    /// <summary>Cancelled before reserved: a late order-placed finds it and does nothing.</summary>
    public static Reservation Tombstone(string orderId, SagaFlow flow, DateTimeOffset now) =>
        new(orderId, flow, ReservationPhase.Released, [], null, "", 0m, false, now, [], TookNoHolds: true);

    public Reservation AllHeld(DateTimeOffset now) => Phase != ReservationPhase.Reserving ? this
        : (this with { Phase = ReservationPhase.Reserved, UpdatedAt = now })
            .Emitting(new StockReserved(OrderId, Flow, CustomerId, Amount, AutoConfirmPayment, now));

    public Reservation ShortOfStock(DateTimeOffset now) => Phase != ReservationPhase.Reserving ? this
        : Rejected(CancellationReason.OutOfStock, now);

    /// <summary>Its holds were not all taken in time: the ones taken go back.</summary>
    public Reservation TimedOut(DateTimeOffset now) => Phase != ReservationPhase.Reserving ? this
        : Rejected(CancellationReason.SagaTimedOut, now);

    /// <summary>Releases a Reserved one, tombstones a missing one; Reserving stays, and its caller comes back later.</summary>
    public static Reservation Cancel(Reservation? existing, string orderId, SagaFlow flow, DateTimeOffset now) => existing switch
    {
        null => Tombstone(orderId, flow, now),
        { Phase: ReservationPhase.Reserved } => (existing with { Phase = ReservationPhase.Released, UpdatedAt = now })
                .Emitting(new StockReleased(existing.OrderId, existing.Flow, now)),
        _ => existing,
    };

    public Reservation Complete(DateTimeOffset now) => Phase != ReservationPhase.Reserved ? this
        : (this with { Phase = ReservationPhase.Committed, UpdatedAt = now })
            .Emitting(new StockCommitted(OrderId, Flow, now));

    private Reservation Rejected(CancellationReason reason, DateTimeOffset now) =>
        (this with { Phase = ReservationPhase.Rejected, Reason = reason, UpdatedAt = now })
            .Emitting(new StockReservationFailed(OrderId, Flow, reason, now));
}
