namespace DaprSaga.DeliveryService.Couriers;

/// <summary>What a courier answered for one order. An order gets one answer per courier, kept for good.</summary>
public enum AssignmentState
{
    /// <summary>The order holds one of the courier's slots.</summary>
    Active,
    /// <summary>It held one; the delivery was cancelled or delivered and the slot is free again.</summary>
    Released,
    /// <summary>It never got one: no free slot, another zone, or the order was cancelled first.</summary>
    Declined,
}

/// <summary>
/// A courier and every order it has answered. Taking, releasing and withdrawing are decisions on
/// this one record, written with its ETag, so "at most one slot per order" and "never above
/// capacity" hold without touching any other key.
/// </summary>
public sealed record Courier(
    string CourierId, string Name, string Zone, int Capacity, IReadOnlyDictionary<string, AssignmentState> Assignments)
{
    public int ActiveDeliveries => Assignments.Values.Count(s => s == AssignmentState.Active);

    public bool HasFreeSlot => ActiveDeliveries < Capacity;

    public bool Serves(string zone) => string.Equals(Zone, zone, StringComparison.OrdinalIgnoreCase);

    public AssignmentState? AnswerFor(string orderId) =>
        Assignments.TryGetValue(orderId, out var state) ? state : null;

    public static Courier Register(string courierId, string name, string zone, int capacity) =>
        new(courierId, name, zone, capacity, new Dictionary<string, AssignmentState>(StringComparer.Ordinal));

    /// <summary>Renames, moves or resizes; a capacity below the active count only stops new assignments.</summary>
    public Courier? Describe(string name, string zone, int capacity) =>
        (Name, Zone, Capacity) == (name, zone, capacity) ? null : this with { Name = name, Zone = zone, Capacity = capacity };

    /// <summary>
    /// Asks for a slot for <paramref name="orderId"/> in <paramref name="zone"/>. An order this
    /// courier already answered gets the same answer and no change, so a slow duplicate can never
    /// take a second slot, even after the first was released. A refusal is stored too.
    /// </summary>
    public (Courier? Next, AssignmentState Answer) Take(string orderId, string zone)
    {
        if (AnswerFor(orderId) is { } answered) return (null, answered);
        var answer = Serves(zone) && HasFreeSlot ? AssignmentState.Active : AssignmentState.Declined;
        return (With(orderId, answer), answer);
    }

    /// <summary>Frees the order's slot (delivered or cancelled); only an active slot is freed.</summary>
    public Courier? Release(string orderId) =>
        AnswerFor(orderId) == AssignmentState.Active ? With(orderId, AssignmentState.Released) : null;

    /// <summary>
    /// The order is cancelled: free its slot if it holds one, and if it was never answered, decline
    /// it now so an assignment still under way cannot take a slot afterwards.
    /// </summary>
    public Courier? Withdraw(string orderId) => AnswerFor(orderId) switch
    {
        null => With(orderId, AssignmentState.Declined),
        AssignmentState.Active => With(orderId, AssignmentState.Released),
        _ => null,
    };

    private Courier With(string orderId, AssignmentState state) =>
        this with { Assignments = new Dictionary<string, AssignmentState>(Assignments, StringComparer.Ordinal) { [orderId] = state } };
}

/// <summary>The courier on the wire (docs/architecture.md, Wire shapes).</summary>
public sealed record CourierView(string CourierId, string Name, string Zone, int Capacity, int ActiveDeliveries)
{
    public static CourierView Of(Courier c) => new(c.CourierId, c.Name, c.Zone, c.Capacity, c.ActiveDeliveries);
}
