using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.TestSidecar;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>A minimal app wired with ServiceDefaults as order-service, beside its test sidecar on a testbed of its own.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly LoopbackApp _app;

    private TestHost(Testbed testbed, Sidecar sidecar, LoopbackApp app) => (Testbed, Sidecar, _app) = (testbed, sidecar, app);

    public Testbed Testbed { get; }

    public Sidecar Sidecar { get; }

    public IServiceProvider Services => _app.Services;

    public DaprClient Dapr => _app.Dapr;

    /// <summary>Where the app listens, for calls that bypass the sidecar.</summary>
    public Uri Address => _app.Address;

    /// <summary>An HttpClient that calls the app directly, as a caller that bypasses the sidecar would.</summary>
    public HttpClient NewClient() => new() { BaseAddress = Address };

    /// <param name="sidecarOptions">Changes the sidecar's options (tokens, bindings) before it starts.</param>
    public static async Task<TestHost> StartAsync(
        Action<WebApplication> map, FaultPlan? faults = null, Action<WebApplicationBuilder>? configure = null,
        Func<SidecarOptions, SidecarOptions>? sidecarOptions = null)
    {
        var testbed = new Testbed(faults);
        var options = new SidecarOptions(AppIds.OrderService)
        {
            StateStores = [Components.OrderStore],
            PubSubs = [Components.PubSub],
        };
        var sidecar = await testbed.StartSidecarAsync(sidecarOptions?.Invoke(options) ?? options);
        var app = await LoopbackApp.StartAsync(sidecar, AppIds.OrderService, map, configure);
        return new TestHost(testbed, sidecar, app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await Testbed.DisposeAsync();
    }
}
