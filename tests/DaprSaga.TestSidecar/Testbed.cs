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
    private readonly ConcurrentDictionary<string, Sidecar> _sidecars = new();
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

    internal void Register(Sidecar sidecar)
    {
        if (!_sidecars.TryAdd(sidecar.AppId, sidecar))
            throw new InvalidOperationException($"a sidecar for app id {sidecar.AppId} is already running");
    }

    internal void Unregister(Sidecar sidecar) => _sidecars.TryRemove(new(sidecar.AppId, sidecar));

    internal Sidecar? FindSidecar(string appId) => _sidecars.GetValueOrDefault(appId);

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
        foreach (var sidecar in _sidecars.Values) await sidecar.DisposeAsync();
        foreach (var engine in _workflows.Values) engine.StopTimers();
        _stopping.Dispose();
    }
}
