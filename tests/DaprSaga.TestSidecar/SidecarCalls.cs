using System.Collections.Concurrent;

namespace DaprSaga.TestSidecar;

/// <summary>What an app asked of its sidecar, or the sidecar did for it; counted for the benchmark.</summary>
public enum SidecarCallKind
{
    Publish,
    Delivery,
    StateRead,
    StateWrite,
    StateTransaction,
    Invoke,
    Binding,
    Metadata,
    /// <summary>A DaprWorkflowClient call: start, get, wait, raise, terminate, purge.</summary>
    WorkflowClient,
    /// <summary>A workflow worker call: GetWorkItems, Hello, a completion, a history read.</summary>
    WorkflowWorker,
    /// <summary>A workflow turn sent to the worker (a replay of the instance's history plus new events).</summary>
    WorkflowTurn,
    /// <summary>An activity work item sent to the worker (again after a lost result or a dropped stream).</summary>
    WorkflowActivity,
}

/// <summary>Thread-safe counters of sidecar calls by kind.</summary>
public sealed partial class SidecarCalls
{
    private readonly ConcurrentDictionary<SidecarCallKind, long> _counts = new();

    public void Count(SidecarCallKind kind) => _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);

    public long this[SidecarCallKind kind] => _counts.GetValueOrDefault(kind);

    public IReadOnlyDictionary<SidecarCallKind, long> Snapshot() => new Dictionary<SidecarCallKind, long>(_counts);

    private readonly ConcurrentDictionary<string, long> _byKeyFamily = new(StringComparer.Ordinal);

    /// <summary>Counts a state call by the family of its key ("payment-{id}", "outbox-listing-#"), to show where the calls go.</summary>
    public void CountKey(SidecarCallKind kind, string key) =>
        _byKeyFamily.AddOrUpdate($"{kind} {KeyFamily(key)}", 1, (_, n) => n + 1);

    public IReadOnlyDictionary<string, long> ByKeyFamily() => new Dictionary<string, long>(_byKeyFamily, StringComparer.Ordinal);

    private static string KeyFamily(string key) => Digits().Replace(Ids().Replace(key, "{id}"), "#");

    [System.Text.RegularExpressions.GeneratedRegex("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")]
    private static partial System.Text.RegularExpressions.Regex Ids();

    [System.Text.RegularExpressions.GeneratedRegex("[0-9]+")]
    private static partial System.Text.RegularExpressions.Regex Digits();
}
