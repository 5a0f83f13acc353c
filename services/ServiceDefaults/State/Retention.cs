namespace DaprSaga.ServiceDefaults.State;

/// <summary>
/// Configuration section "Retention": how long the saga's bookkeeping is kept (idempotency markers inside
/// long-lived records, tombstones, finished orchestrations, Idempotency-Key claims). It must outlast the
/// saga deadline plus the longest a dead letter waits for replay: an event older than it is refused, as it
/// can no longer be told from a new one. Business records (orders, payments, deliveries) are kept for good.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    public static readonly TimeSpan Shortest = TimeSpan.FromHours(1);

    public TimeSpan Window { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A tombstone stops the event that would create its record. That event may be caused by one the
    /// tombstone's own cause followed, each accepted for a window: so two windows (docs/architecture.md, Retention).
    /// </summary>
    public TimeSpan TombstoneLife => 2 * Window;
}

/// <summary>Settled idempotency markers of a record, forgotten a retention window after they settled.</summary>
public static class SettledMarkers
{
    /// <summary>
    /// The markers still kept at <paramref name="now"/>, and when each settled one settled: a marker first seen
    /// settled now is stamped now. Unsettled markers are always kept.
    /// </summary>
    public static (IReadOnlyDictionary<string, T> Markers, IReadOnlyDictionary<string, DateTimeOffset> SettledAt) Retain<T>(
        IReadOnlyDictionary<string, T> markers, IReadOnlyDictionary<string, DateTimeOffset>? settledAt, Func<T, bool> isSettled,
        DateTimeOffset now, TimeSpan window)
    {
        var kept = new Dictionary<string, T>(StringComparer.Ordinal);
        var since = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var (id, marker) in markers)
        {
            if (isSettled(marker))
            {
                var at = settledAt is not null && settledAt.TryGetValue(id, out var stamped) ? stamped : now;
                if (now - at >= window) continue;
                since[id] = at;
            }
            kept[id] = marker;
        }
        return (kept, since);
    }
}
