using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// One of our services in this process on a real socket, so its daprd container can call it:
/// Kestrel on all interfaces (the container arrives through the Docker host gateway, not
/// loopback), configured to find its sidecar at the container's mapped ports.
/// </summary>
public sealed class HostedApp : IAsyncDisposable
{
    private readonly IAsyncDisposable _host;

    private HostedApp(string appId, int port, IAsyncDisposable host)
    {
        (AppId, Port, _host) = (appId, port, host);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string AppId { get; }

    public int Port { get; }

    /// <summary>Straight to the app, as a customer or operator would call it (not through daprd).</summary>
    public HttpClient Http { get; }

    /// <summary>A port free right now on all interfaces, for the app daprd is told about before the app starts.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static HostedApp Start<TEntryPoint>(string appId, int port, Uri daprHttp, Uri daprGrpc)
        where TEntryPoint : class
    {
        var factory = new KestrelFactory<TEntryPoint>(port, new Dictionary<string, string?>
        {
            // AddDaprClient reads these from IConfiguration before the environment (docs/dapr.md, SDK wiring).
            ["DAPR_HTTP_ENDPOINT"] = daprHttp.ToString().TrimEnd('/'),
            ["DAPR_GRPC_ENDPOINT"] = daprGrpc.ToString().TrimEnd('/'),
            ["APP_ID"] = appId,
        });
        try
        {
            factory.StartServer();
            return new HostedApp(appId, port, factory);
        }
        catch
        {
            factory.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _host.DisposeAsync();
    }

    private sealed class KestrelFactory<TEntryPoint> : WebApplicationFactory<TEntryPoint>
        where TEntryPoint : class
    {
        private readonly IReadOnlyDictionary<string, string?> _configuration;

        public KestrelFactory(int port, IReadOnlyDictionary<string, string?> configuration)
        {
            _configuration = configuration;
            // UseKestrel(port) would bind 127.0.0.1 only (WebApplicationFactory sets that
            // address); an explicit Listen overrides it.
            UseKestrel(kestrel => kestrel.Listen(IPAddress.Any, port));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(_configuration));
            builder.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        }
    }
}
