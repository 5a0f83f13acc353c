using System.Net;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.TestSidecar;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>A minimal app wired with ServiceDefaults as order-service, beside its test sidecar.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestHost(Testbed testbed, Sidecar sidecar, WebApplication app) => (Testbed, Sidecar, _app) = (testbed, sidecar, app);

    public Testbed Testbed { get; }

    public Sidecar Sidecar { get; }

    public IServiceProvider Services => _app.Services;

    public DaprClient Dapr => _app.Services.GetRequiredService<DaprClient>();

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
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(sidecar.AppConfiguration);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.AddServiceDefaults(AppIds.OrderService);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapServiceDefaults();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        await sidecar.AttachAppAsync(new Uri(address));
        return new TestHost(testbed, sidecar, app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Testbed.DisposeAsync();
    }
}
