using System.Net;
using Dapr.Client;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprSaga.TestSidecar;

/// <summary>
/// A minimal app wired like our services (ServiceDefaults) on a loopback Kestrel port, for tests
/// that map endpoints of their own: it finds its sidecar through its own configuration, and the
/// sidecar, once attached, calls it over real HTTP as daprd would.
/// </summary>
public sealed class LoopbackApp : IAsyncDisposable
{
    private readonly Sidecar _sidecar;
    private readonly WebApplication _app;

    private LoopbackApp(Sidecar sidecar, WebApplication app, Uri address) => (_sidecar, _app, Address) = (sidecar, app, address);

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public DaprClient Dapr => Services.GetRequiredService<DaprClient>();

    /// <summary>Starts the app and attaches <paramref name="sidecar"/> to it (subscriptions read, bindings probed).</summary>
    /// <param name="map">The test's endpoints, mapped after ServiceDefaults' own.</param>
    /// <param name="configure">Changes the builder after AddServiceDefaults (handlers, services, logging).</param>
    /// <param name="middleware">Middleware that must see a request before ServiceDefaults' (e.g. before UseCloudEvents unwraps it).</param>
    public static async Task<LoopbackApp> StartAsync(
        Sidecar sidecar, string appName, Action<WebApplication> map,
        Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? middleware = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(sidecar.AppConfiguration);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.AddServiceDefaults(appName);
        configure?.Invoke(builder);
        var app = builder.Build();
        middleware?.Invoke(app);
        app.MapServiceDefaults();
        map(app);
        await app.StartAsync();
        // Once started, the addresses Kestrel bound: the loopback port it picked.
        var address = new Uri(app.Urls.Single());
        await sidecar.AttachAppAsync(address);
        return new LoopbackApp(sidecar, app, address);
    }

    /// <summary>Stops the app as a crash would: the sidecar stays, its app is gone.</summary>
    public async ValueTask DisposeAsync()
    {
        _sidecar.DetachApp();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
