namespace DaprSaga.InventoryService.Products;

public enum HoldState { Held, Released, Committed }

/// <summary>Stock set aside for one order on one product, and what became of it.</summary>
public sealed record OrderHold(int Quantity, HoldState State);

/// <summary>What a hold attempt found on the product afterwards.</summary>
public enum HoldOutcome
{
    /// <summary>The order holds its quantity (taken now or before).</summary>
    Held,
    /// <summary>Not enough free stock, nothing held.</summary>
    Short,
    /// <summary>The order's hold was already released or committed: the reservation moved on.</summary>
    Settled,
}

/// <summary>
/// One product and its stock. Invariant: OnHand + Reserved + Sold = Received. Holds records, per
/// order, the quantity taken from OnHand, so every change is idempotent per order id and can be
/// written as one conditional write of this key. Settled holds stay as markers so a late
/// duplicate cannot hold again; production would expire them after the saga deadline.
/// </summary>
public sealed record Product(
    string ProductId,
    string Name,
    decimal Price,
    int OnHand,
    int Reserved,
    int Sold,
    int Received,
    IReadOnlyDictionary<string, OrderHold> Holds)
{
    public static Product Create(string productId, string name, decimal price, int onHand) =>
        new(productId, name, price, onHand, 0, 0, onHand, new Dictionary<string, OrderHold>());

    /// <summary>PUT: creates, or sets name, price and free stock; Received moves with OnHand, Reserved and Sold stay.</summary>
    public static Product Put(Product? existing, string productId, string name, decimal price, int onHand)
    {
        if (existing is null) return Create(productId, name, price, onHand);
        if (existing.Name == name && existing.Price == price && existing.OnHand == onHand) return existing;
        return existing with { Name = name, Price = price, OnHand = onHand, Received = existing.Received + onHand - existing.OnHand };
    }

    /// <summary>Takes <paramref name="quantity"/> from OnHand for the order, unless the order has any hold here already or stock is short.</summary>
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

    /// <summary>
    /// Gives a held quantity back to OnHand. Without a hold it leaves a released marker of 0, so
    /// a duplicate reserve still in flight for this order cannot hold afterwards.
    /// </summary>
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

    /// <summary>Moves a held quantity to Sold; anything but a live hold is left alone.</summary>
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

    private Dictionary<string, OrderHold> With(string orderId, OrderHold hold) => new(Holds, StringComparer.Ordinal) { [orderId] = hold };
}
