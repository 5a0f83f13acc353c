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
}

/// <summary>Thread-safe counters of sidecar calls by kind.</summary>
public sealed class SidecarCalls
{
    private readonly ConcurrentDictionary<SidecarCallKind, long> _counts = new();

    public void Count(SidecarCallKind kind) => _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);

    public long this[SidecarCallKind kind] => _counts.GetValueOrDefault(kind);

    public IReadOnlyDictionary<SidecarCallKind, long> Snapshot() => new Dictionary<SidecarCallKind, long>(_counts);
}
