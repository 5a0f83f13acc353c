namespace DaprSaga.TestSidecar;

/// <summary>The faults the test sidecar can inject, each a thing real brokers and sidecars do.</summary>
public enum FaultKind
{
    /// <summary>A message is delivered twice (at-least-once delivery).</summary>
    DuplicateDelivery,
    /// <summary>A message is held back so later ones overtake it (Redis streams deliver concurrently).</summary>
    ReorderDelivery,
    /// <summary>A message waits before delivery.</summary>
    DelayDelivery,
    /// <summary>The delivery fails before reaching the app; the broker redelivers.</summary>
    FailBeforeDelivery,
    /// <summary>The app handled the message but its answer was lost; the broker redelivers.</summary>
    LostAck,
    /// <summary>A state call fails with gRPC Unavailable before touching the store.</summary>
    StateError,
    /// <summary>A publish fails with gRPC Unavailable before reaching the broker.</summary>
    PublishError,
    /// <summary>The invoked app ran the request, but the caller sees an error.</summary>
    LostInvocationResponse,
    /// <summary>The workflow work-item stream ends right after a turn is sent; the worker reconnects and gets it again.</summary>
    WorkflowStreamDrop,
    /// <summary>A workflow activity ran but its result is lost on the way back; the activity is sent again.</summary>
    LostActivityResult,
}

/// <summary>
/// Seeded fault injection shared by every sidecar of a <see cref="Testbed"/>. The same seed gives
/// the same sequence of decisions, so a failing run can be replayed.
/// </summary>
public sealed class FaultPlan
{
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly Dictionary<FaultKind, double> _probabilities = [];
    private readonly Dictionary<FaultKind, long> _injected = [];

    public FaultPlan(int seed) => (Seed, _random) = (seed, new Random(seed));

    public static FaultPlan None => new(0);

    public int Seed { get; }

    /// <summary>Upper bound of a delay or hold-back, drawn uniformly.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    public FaultPlan With(FaultKind kind, double probability)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(probability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1.0);
        lock (_gate) _probabilities[kind] = probability;
        return this;
    }

    /// <summary>Whether to inject <paramref name="kind"/> now; counts what it injects.</summary>
    public bool Roll(FaultKind kind)
    {
        lock (_gate)
        {
            if (!_probabilities.TryGetValue(kind, out var p) || p <= 0) return false;
            if (_random.NextDouble() >= p) return false;
            _injected[kind] = _injected.GetValueOrDefault(kind) + 1;
            return true;
        }
    }

    public TimeSpan NextDelay()
    {
        lock (_gate) return MaxDelay * _random.NextDouble();
    }

    public IReadOnlyDictionary<FaultKind, long> Injected
    {
        get { lock (_gate) return new Dictionary<FaultKind, long>(_injected); }
    }
}
