using System.Collections.Concurrent;
using DaprSaga.TestSidecar.PubSub;
using DaprSaga.TestSidecar.State;
using DaprSaga.TestSidecar.Workflow;

namespace DaprSaga.TestSidecar;

/// <summary>
/// How the test sidecars retry deliveries: the resiliency spec's inbound policy
/// (dapr `pkg/resiliency`: exponential, 500 ms initial, x1.5; here scaled down for tests),
/// the inbound delivery timeout and the component's delivery concurrency.
/// </summary>
public sealed record DeliveryPolicy(
    TimeSpan InitialInterval,
    double Multiplier,
    TimeSpan MaxInterval,
    int MaxRetries,
    TimeSpan Timeout,
    int Concurrency)
{
    /// <summary>components/common/resiliency.yaml's `delivery` policy (5 retries), with intervals scaled down.</summary>
    public static DeliveryPolicy Fast { get; } = new(
        TimeSpan.FromMilliseconds(5), 1.5, TimeSpan.FromMilliseconds(100), MaxRetries: 5,
        Timeout: TimeSpan.FromSeconds(10), Concurrency: 10);
}

/// <summary>
/// The world the test sidecars share: state store components, pub/sub components (the broker),
/// the registry used for service invocation, seeded faults and quiescence tracking.
/// One per test (or per benchmark run).
/// </summary>
public sealed class Testbed : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, RedisStateStore> _stores = new();
    private readonly ConcurrentDictionary<string, InMemoryPubSub> _pubsubs = new();
    // The running replicas of each app id, in start order (one daprd per app instance).
    private readonly Dictionary<string, List<Sidecar>> _sidecars = new(StringComparer.Ordinal);
    private readonly Lock _sidecarGate = new();
    // Each app id's round-robin position (mDNS keeps one address list per app id).
    private readonly Dictionary<string, long> _resolutions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WorkflowEngine> _workflows = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _idleGate = new();
    private long _inFlight;
    private TaskCompletionSource _idle = NewIdle(completed: true);
    private long _redeliveries, _deadLettered, _dropped;

    public Testbed(FaultPlan? faults = null, DeliveryPolicy? delivery = null, TimeProvider? timeProvider = null)
    {
        Faults = faults ?? FaultPlan.None;
        Delivery = delivery ?? DeliveryPolicy.Fast;
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    public FaultPlan Faults { get; }

    public DeliveryPolicy Delivery { get; }

    /// <summary>The clock for CloudEvent `time` stamps, workflow turns and timers, and state key expiry.</summary>
    public TimeProvider TimeProvider { get; }

    public long Redeliveries => Interlocked.Read(ref _redeliveries);

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public long Dropped => Interlocked.Read(ref _dropped);

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>A `state.redis` component; the same instance for every sidecar that loads it. Its keys expire on <see cref="TimeProvider"/>.</summary>
    public RedisStateStore StateStore(string name) => _stores.GetOrAdd(name, n => new RedisStateStore(n, TimeProvider));

    /// <summary>A pub/sub component with its metadata (publishingScopes, subscriptionScopes, allowedTopics).</summary>
    public InMemoryPubSub PubSub(string name, IReadOnlyDictionary<string, string>? metadata = null) =>
        _pubsubs.GetOrAdd(name, n => new InMemoryPubSub(this, n, metadata));

    /// <summary>
    /// The Dapr Workflow engine of an app id: its instances live here, not in a sidecar, so they
    /// survive app and sidecar restarts as daprd's actor state does.
    /// </summary>
    public WorkflowEngine Workflows(string appId) => _workflows.GetOrAdd(appId, id => new WorkflowEngine(id, TimeProvider));

    public Task<Sidecar> StartSidecarAsync(SidecarOptions options) => Sidecar.StartAsync(this, options);

    /// <summary>
    /// A sidecar joins its app id's replicas: several daprd of one app id run side by side, each
    /// registered with name resolution under that id (components-contrib `nameresolution/mdns`).
    /// </summary>
    internal void Register(Sidecar sidecar)
    {
        lock (_sidecarGate)
        {
            if (!_sidecars.TryGetValue(sidecar.AppId, out var replicas)) _sidecars[sidecar.AppId] = replicas = [];
            replicas.Add(sidecar);
        }
    }

    internal void Unregister(Sidecar sidecar)
    {
        lock (_sidecarGate)
        {
            if (_sidecars.TryGetValue(sidecar.AppId, out var replicas) && replicas.Remove(sidecar) && replicas.Count == 0)
                _sidecars.Remove(sidecar.AppId);
        }
    }

    /// <summary>The running sidecars of an app id, in start order.</summary>
    public IReadOnlyList<Sidecar> Replicas(string appId)
    {
        lock (_sidecarGate) return _sidecars.TryGetValue(appId, out var replicas) ? [.. replicas] : [];
    }

    /// <summary>
    /// Name resolution for service invocation: one instance of the app id, round robin as mDNS
    /// does (`nameresolution/mdns` addressList.next). Instances whose app is up come first, as a
    /// Kubernetes Service lists only ready pods; with none up, any one (the call then fails as
    /// daprd's does when the app refuses connections). Null when no sidecar has that id.
    /// </summary>
    internal Sidecar? ResolveSidecar(string appId)
    {
        var replicas = Replicas(appId);
        if (replicas.Count == 0) return null;
        var ready = replicas.Where(r => r.App is not null).ToList();
        var pool = ready.Count > 0 ? ready : replicas;
        lock (_sidecarGate)
        {
            var next = _resolutions.GetValueOrDefault(appId);
            _resolutions[appId] = next + 1;
            return pool[(int)(next % pool.Count)];
        }
    }

    /// <summary>
    /// Completes once no message is queued, in delivery, held back or waiting for redelivery;
    /// throws <see cref="TimeoutException"/> (with what is still in flight) after the deadline.
    /// </summary>
    public async Task WaitForIdleAsync(TimeSpan deadline)
    {
        Task idle;
        lock (_idleGate) idle = _idle.Task;
        try
        {
            await idle.WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"not idle after {deadline}: {Interlocked.Read(ref _inFlight)} message(s) in flight");
        }
    }

    internal void Track(int delta)
    {
        lock (_idleGate)
        {
            _inFlight += delta;
            if (_inFlight == 0) _idle.TrySetResult();
            else if (_idle.Task.IsCompleted) _idle = NewIdle(completed: false);
        }
    }

    internal void CountRedelivery() => Interlocked.Increment(ref _redeliveries);

    internal void CountDeadLettered() => Interlocked.Increment(ref _deadLettered);

    internal void CountDropped() => Interlocked.Increment(ref _dropped);

    private static TaskCompletionSource NewIdle(bool completed)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed) tcs.SetResult();
        return tcs;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        List<Sidecar> sidecars;
        lock (_sidecarGate) sidecars = _sidecars.Values.SelectMany(r => r).ToList();
        foreach (var sidecar in sidecars) await sidecar.DisposeAsync();
        foreach (var engine in _workflows.Values) engine.StopTimers();
        _stopping.Dispose();
    }
}
