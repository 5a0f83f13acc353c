namespace DaprSaga.InventoryService.Products;

public enum HoldState { Held, Released, Committed }

public sealed record OrderHold(int Quantity, HoldState State);

/// <summary>Settled: the order's hold was already released or committed, so the reservation moved on. Late: asked past its time (<see cref="HoldOptions.TakeWithin"/>).</summary>
public enum HoldOutcome { Held, Short, Settled, Late }

/// <summary>
/// OnHand + Reserved + Sold = Received. Holds per order make every change idempotent per order id in
/// one conditional write; settled holds stay as markers so a late duplicate cannot hold again, for
/// <see cref="HoldOptions.SettledLife"/> after they settled (<see cref="SettledAt"/>).
/// </summary>
public sealed record Product(
    string ProductId,
    string Name,
    decimal Price,
    int OnHand,
    int Reserved,
    int Sold,
    int Received,
    IReadOnlyDictionary<string, OrderHold> Holds,
    IReadOnlyDictionary<string, DateTimeOffset>? SettledAt = null)
{
    public static Product Create(string productId, string name, decimal price, int onHand) =>
        new(productId, name, price, onHand, 0, 0, onHand, new Dictionary<string, OrderHold>());

    public static Product Put(Product? existing, string productId, string name, decimal price, int onHand)
    {
        if (existing is null) return Create(productId, name, price, onHand);
        if (existing.Name == name && existing.Price == price && existing.OnHand == onHand) return existing;
        return existing with { Name = name, Price = price, OnHand = onHand, Received = existing.Received + onHand - existing.OnHand };
    }

    public Product Hold(string orderId, int quantity)
    {
        // Any entry, even a released one, means this order already had its turn: a slow duplicate must not hold again.
        if (Holds.ContainsKey(orderId) || OnHand < quantity) return this;
        return this with
        {
            OnHand = OnHand - quantity,
            Reserved = Reserved + quantity,
            Holds = With(orderId, new OrderHold(quantity, HoldState.Held)),
        };
    }

    public HoldOutcome OutcomeFor(string orderId) => Holds.GetValueOrDefault(orderId)?.State switch
    {
        null => HoldOutcome.Short,
        HoldState.Held => HoldOutcome.Held,
        _ => HoldOutcome.Settled,
    };

    /// <summary>Without a hold it leaves a released marker of 0, so a reserve still in flight cannot hold afterwards.</summary>
    public Product Release(string orderId) => Holds.GetValueOrDefault(orderId) switch
    {
        null => this with { Holds = With(orderId, new OrderHold(0, HoldState.Released)) },
        { State: HoldState.Held } hold => this with
        {
            OnHand = OnHand + hold.Quantity,
            Reserved = Reserved - hold.Quantity,
            Holds = With(orderId, hold with { State = HoldState.Released }),
        },
        _ => this,
    };

    public Product Commit(string orderId) => Holds.GetValueOrDefault(orderId) switch
    {
        { State: HoldState.Held } hold => this with
        {
            Reserved = Reserved - hold.Quantity,
            Sold = Sold + hold.Quantity,
            Holds = With(orderId, hold with { State = HoldState.Committed }),
        },
        _ => this,
    };

    /// <summary>Stamps newly settled holds and forgets those settled <paramref name="life"/> ago; done at each write.</summary>
    public Product Kept(DateTimeOffset now, TimeSpan life)
    {
        var (holds, settledAt) = SettledMarkers.Retain(Holds, SettledAt, h => h.State != HoldState.Held, now, life);
        return this with { Holds = holds, SettledAt = settledAt };
    }

    private Dictionary<string, OrderHold> With(string orderId, OrderHold hold) => new(Holds, StringComparer.Ordinal) { [orderId] = hold };
}
