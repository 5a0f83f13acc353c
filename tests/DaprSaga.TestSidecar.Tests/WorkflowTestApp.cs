using Dapr.Workflow;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>
/// A minimal app hosting the real Dapr.Workflow worker and DaprWorkflowClient beside a test
/// sidecar. It finds the sidecar the way our services do, through its own configuration
/// (DAPR_GRPC_ENDPOINT, DAPR_HTTP_ENDPOINT, DAPR_API_TOKEN), never process-wide variables.
/// </summary>
public sealed class WorkflowTestApp : IAsyncDisposable
{
    private readonly IHost _host;

    private WorkflowTestApp(IHost host) => _host = host;

    public DaprWorkflowClient Client => _host.Services.GetRequiredService<DaprWorkflowClient>();

    public static async Task<WorkflowTestApp> StartAsync(
        Sidecar sidecar, Action<WorkflowRuntimeOptions> register, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(sidecar.AppConfiguration);
        builder.Services.AddDaprWorkflow(register);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new WorkflowTestApp(host);
    }

    /// <summary>Stops the app as a shutdown would: the worker's stream ends, the sidecar stays.</summary>
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>
/// What activities report to the test: how often each ran, and gates the test opens. Waits are on
/// conditions with a deadline, never on time.
/// </summary>
public sealed class Probe
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _hits = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int this[string name]
    {
        get { lock (_gate) return _hits.GetValueOrDefault(name); }
    }

    /// <summary>Counts a run of <paramref name="name"/>; returns which run this is (1 for the first).</summary>
    public int Hit(string name)
    {
        TaskCompletionSource changed;
        int n;
        lock (_gate)
        {
            n = _hits[name] = _hits.GetValueOrDefault(name) + 1;
            (changed, _changed) = (_changed, new(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        changed.TrySetResult();
        return n;
    }

    public Task Gate(string name)
    {
        lock (_gate) return GateLocked(name).Task;
    }

    public void Open(string name)
    {
        lock (_gate) GateLocked(name).TrySetResult();
    }

    private TaskCompletionSource GateLocked(string name)
    {
        if (!_gates.TryGetValue(name, out var gate))
            _gates[name] = gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return gate;
    }

    public async Task WaitForAsync(string name, int count, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_hits.GetValueOrDefault(name) >= count) return;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{name} ran {this[name]} time(s), not {count}, within {deadline}");
            }
        }
    }
}
