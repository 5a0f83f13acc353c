using DaprSaga.Contracts;
using DaprSaga.InventoryService.Products;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.InventoryService.Reservations;

/// <summary>
/// Where a reservation is. Reserving is the anchor of the holds taken one product key at a time,
/// so whoever finds it (a redelivered trigger or the sweep) finishes them. Each end is written
/// before the products follow it: a reservation that may have holds settles them on every
/// product after its final record lands (see <see cref="Reservation.SettlesHolds"/>).
/// </summary>
public enum ReservationPhase
{
    /// <summary>Taking holds item by item → Reserved, or Rejected when one is short.</summary>
    Reserving,
    Reserved,
    Rejected,
    Released,
    Committed,
}

/// <summary>The reservation status clients see (docs/architecture.md, Wire shapes); Reserving has none yet.</summary>
public enum ReservationStatus { Reserved, Released, Committed, Rejected }

/// <summary>What a reserve asks for: the order-placed event, or the orchestrator's reserve command.</summary>
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
        : Items.Any(i => i.Quantity is < 1 or > InputRules.MaxQuantity) ? $"a quantity is outside 1..{InputRules.MaxQuantity}"
        : Items.Any(i => !InputRules.IsMoney(i.UnitPrice)) ? "a unitPrice is not a price"
        : null;
}

/// <summary>
/// One order's reservation; it also carries the events its last change caused until they are
/// published (outbox). Every transition is a pure function that returns this same instance when
/// it does not apply (already applied, or the reservation moved on), which stores nothing.
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

    /// <summary>Quantity per product: an order may list a product on several lines.</summary>
    public IReadOnlyDictionary<string, int> Quantities =>
        Items.GroupBy(i => i.ProductId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(i => i.Quantity), StringComparer.Ordinal);

    /// <summary>Holds are being taken; someone must finish taking them.</summary>
    public bool IsUnfinished => Phase == ReservationPhase.Reserving;

    /// <summary>Nothing can change any more.</summary>
    public bool IsFinal => Phase is ReservationPhase.Rejected or ReservationPhase.Released or ReservationPhase.Committed;

    /// <summary>
    /// Ended, and may have taken holds, so every product must follow the end: give the hold back
    /// (Rejected, Released; a released marker where there is none) or sell it (Committed).
    /// Idempotent per product, so it is redone whenever in doubt. Only a refusal at open and a
    /// tombstone are known to have taken none (a record stored before the flag existed settles, to be safe).
    /// </summary>
    public bool SettlesHolds => IsFinal && !TookNoHolds;

    /// <summary>The public status; a reservation still taking its holds has none yet.</summary>
    public ReservationStatus? Status => Phase switch
    {
        ReservationPhase.Reserved => ReservationStatus.Reserved,
        ReservationPhase.Rejected => ReservationStatus.Rejected,
        ReservationPhase.Released => ReservationStatus.Released,
        ReservationPhase.Committed => ReservationStatus.Committed,
        _ => null,
    };

    /// <summary>
    /// The first decision on an order (all or nothing, checked against a read of its products):
    /// UnknownProduct, then PriceChanged, then OutOfStock are stored as Rejected with their event
    /// (having taken no hold, it has none to settle); otherwise Reserving starts. An existing record
    /// (a repeat, or a tombstone of an order cancelled first) is never decided again.
    /// </summary>
    public static Reservation? Open(
        Reservation? existing, ReservationRequest request, IReadOnlyDictionary<string, Product> products, DateTimeOffset now)
    {
        if (existing is not null) return existing;
        var opened = new Reservation(request.OrderId, request.Flow, ReservationPhase.Reserving, request.Items, null,
            request.CustomerId, request.Amount, request.AutoConfirmPayment, now, []);
        return Refusal(request.Items, products) is { } reason ? (opened with { TookNoHolds = true }).Rejected(reason, now) : opened;
    }

    /// <summary>Why the order cannot be reserved from these products, or null if it can (for now).</summary>
    public static CancellationReason? Refusal(IReadOnlyList<OrderLine> items, IReadOnlyDictionary<string, Product> products)
    {
        if (items.Any(i => !products.ContainsKey(i.ProductId))) return CancellationReason.UnknownProduct;
        if (items.Any(i => products[i.ProductId].Price != i.UnitPrice)) return CancellationReason.PriceChanged;
        var wanted = items.GroupBy(i => i.ProductId).Select(g => (Product: products[g.Key], Quantity: g.Sum(i => i.Quantity)));
        if (wanted.Any(w => w.Product.OnHand < w.Quantity)) return CancellationReason.OutOfStock;
        return null;
    }

    /// <summary>order-cancelled with nothing reserved yet: a tombstone, so a late order-placed does nothing.</summary>
    public static Reservation Tombstone(string orderId, SagaFlow flow, DateTimeOffset now) =>
        new(orderId, flow, ReservationPhase.Released, [], null, "", 0m, false, now, [], TookNoHolds: true);

    /// <summary>Every item is held: Reserved, and payment may be asked for.</summary>
    public Reservation AllHeld(DateTimeOffset now) => Phase != ReservationPhase.Reserving ? this
        : Emit(this with { Phase = ReservationPhase.Reserved, UpdatedAt = now },
            new StockReserved(OrderId, Flow, CustomerId, Amount, AutoConfirmPayment, now));

    /// <summary>An item was short: Rejected(OutOfStock) with its event; then what was taken goes back.</summary>
    public Reservation ShortOfStock(DateTimeOffset now) => Phase != ReservationPhase.Reserving ? this
        : Rejected(CancellationReason.OutOfStock, now);

    /// <summary>
    /// Reaction to order-cancelled / the release command: a reservation is released with its
    /// event (its holds go back next), a missing one becomes a tombstone. Rejected, Released and
    /// (impossible for a cancelled order) Committed stay as they are; so does Reserving, whose
    /// caller must come back later.
    /// </summary>
    public static Reservation Cancel(Reservation? existing, string orderId, SagaFlow flow, DateTimeOffset now) => existing switch
    {
        null => Tombstone(orderId, flow, now),
        { Phase: ReservationPhase.Reserved } => Emit(existing with { Phase = ReservationPhase.Released, UpdatedAt = now },
            new StockReleased(existing.OrderId, existing.Flow, now)),
        _ => existing,
    };

    /// <summary>Reaction to order-completed / the commit command: only a live reservation is committed (its holds are sold next).</summary>
    public Reservation Complete(DateTimeOffset now) => Phase != ReservationPhase.Reserved ? this
        : Emit(this with { Phase = ReservationPhase.Committed, UpdatedAt = now }, new StockCommitted(OrderId, Flow, now));

    private Reservation Rejected(CancellationReason reason, DateTimeOffset now) =>
        Emit(this with { Phase = ReservationPhase.Rejected, Reason = reason, UpdatedAt = now },
            new StockReservationFailed(OrderId, Flow, reason, now));

    private static Reservation Emit<TEvent>(Reservation next, TEvent fact) where TEvent : IIntegrationEvent =>
        next with { Outbox = [.. next.Outbox, OutboxMessage.For(fact)] };
}
