namespace DaprSaga.DeliveryService.Couriers;

/// <summary>An order gets one answer per courier; a settled one is kept for <see cref="AssignmentOptions.SettledLife"/>.</summary>
public enum AssignmentState
{
    Active,
    Released,
    Declined,
}

/// <summary>Taking, releasing and withdrawing are decisions on this one record (ETag): one slot per order, never above capacity.</summary>
public sealed record Courier(
    string CourierId, string Name, string Zone, int Capacity, IReadOnlyDictionary<string, AssignmentState> Assignments,
    IReadOnlyDictionary<string, DateTimeOffset>? SettledAt = null)
{
    public int ActiveDeliveries => Assignments.Values.Count(s => s == AssignmentState.Active);

    public bool HasFreeSlot => ActiveDeliveries < Capacity;

    public bool Serves(string zone) => string.Equals(Zone, zone, StringComparison.OrdinalIgnoreCase);

    public AssignmentState? AnswerFor(string orderId) =>
        Assignments.TryGetValue(orderId, out var state) ? state : null;

    public static Courier Register(string courierId, string name, string zone, int capacity) =>
        new(courierId, name, zone, capacity, new Dictionary<string, AssignmentState>(StringComparer.Ordinal));

    /// <summary>A capacity below the active count only stops new assignments.</summary>
    public Courier? Describe(string name, string zone, int capacity) =>
        (Name, Zone, Capacity) == (name, zone, capacity) ? null : this with { Name = name, Zone = zone, Capacity = capacity };

    /// <summary>An order already answered gets the same answer and no change, so a slow duplicate never takes a second slot.</summary>
    public (Courier? Next, AssignmentState Answer) Take(string orderId, string zone)
    {
        if (AnswerFor(orderId) is { } answered) return (null, answered);
        var answer = Serves(zone) && HasFreeSlot ? AssignmentState.Active : AssignmentState.Declined;
        return (With(orderId, answer), answer);
    }

    public Courier? Release(string orderId) =>
        AnswerFor(orderId) == AssignmentState.Active ? With(orderId, AssignmentState.Released) : null;

    /// <summary>Frees an active slot; an order never answered is declined now, so an assignment under way cannot take one later.</summary>
    public Courier? Withdraw(string orderId) => AnswerFor(orderId) switch
    {
        null => With(orderId, AssignmentState.Declined),
        AssignmentState.Active => With(orderId, AssignmentState.Released),
        _ => null,
    };

    /// <summary>Stamps newly settled answers and forgets those settled a <paramref name="window"/> ago; done at each write.</summary>
    public Courier Kept(DateTimeOffset now, TimeSpan window)
    {
        var (assignments, settledAt) = SettledMarkers.Retain(Assignments, SettledAt, s => s != AssignmentState.Active, now, window);
        return this with { Assignments = assignments, SettledAt = settledAt };
    }

    private Courier With(string orderId, AssignmentState state) =>
        this with { Assignments = new Dictionary<string, AssignmentState>(Assignments, StringComparer.Ordinal) { [orderId] = state } };
}

public sealed record CourierView(string CourierId, string Name, string Zone, int Capacity, int ActiveDeliveries)
{
    public static CourierView? Of(Courier? c) => c is null ? null : new(c.CourierId, c.Name, c.Zone, c.Capacity, c.ActiveDeliveries);
}
