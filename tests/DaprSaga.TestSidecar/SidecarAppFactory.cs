using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprSaga.TestSidecar;

/// <summary>
/// Hosts one of our services in memory (WebApplicationFactory) beside its test sidecar: the app
/// finds the sidecar through its own configuration (DAPR_GRPC_ENDPOINT, DAPR_HTTP_ENDPOINT),
/// and the sidecar reaches the app through the factory's client. Dispose and create a new
/// factory on the same sidecar to restart the app; its state lives on in the testbed.
/// </summary>
public sealed class SidecarAppFactory<TEntryPoint>(Sidecar sidecar, Action<IServiceCollection>? configureServices = null)
    : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    public Sidecar Sidecar => sidecar;

    /// <summary>Starts the app and lets the sidecar read its subscriptions and probe its bindings.</summary>
    public async Task<SidecarAppFactory<TEntryPoint>> StartAsync()
    {
        await sidecar.AttachAppAsync(CreateClient());
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(sidecar.AppConfiguration));
        builder.ConfigureLogging(l => l.ClearProviders().AddFilter(_ => false));
        if (configureServices is not null) builder.ConfigureServices(configureServices);
    }

    public override async ValueTask DisposeAsync()
    {
        sidecar.DetachApp();
        await base.DisposeAsync();
    }
}
