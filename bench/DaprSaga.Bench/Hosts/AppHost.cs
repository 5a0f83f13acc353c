using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DaprSaga.Contracts;
using DaprSaga.TestSidecar;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprSaga.Bench.Hosts;

/// <summary>
/// The services process: the five apps, each on Kestrel on a loopback port, finding its sidecar
/// (in the sidecar process) through its own configuration; plus the hop floor's echo app.
/// </summary>
public static class AppHost
{
    public static async Task RunAsync()
    {
        using var channel = new ControlChannel();
        var running = new List<IAsyncDisposable>();
        WebApplication? echo = null;
        string? echoSidecar = null;
        // BENCH_TRACE_RENTS=bytes: who rents arrays that big from ArrayPool<byte>.Shared, in each memory sample.
        using var rents = int.TryParse(Environment.GetEnvironmentVariable("BENCH_TRACE_RENTS"), out var minBytes) ? new RentTracer(minBytes) : null;
        channel.Reply(new JsonObject { ["pid"] = Environment.ProcessId });

        await channel.ServeAsync(async (command, args) =>
        {
            switch (command)
            {
                case "start":
                    var sidecars = args["sidecars"]!.AsObject();
                    var apps = new JsonObject();
                    apps[AppIds.OrderService] = Start<OrderEntry>(AppIds.OrderService, "OrderService", sidecars, running);
                    apps[AppIds.InventoryService] = Start<InventoryEntry>(AppIds.InventoryService, "InventoryService", sidecars, running);
                    apps[AppIds.PaymentService] = Start<PaymentEntry>(AppIds.PaymentService, "PaymentService", sidecars, running);
                    apps[AppIds.DeliveryService] = Start<DeliveryEntry>(AppIds.DeliveryService, "DeliveryService", sidecars, running);
                    apps[AppIds.OrderProcessService] = Start<ProcessEntry>(AppIds.OrderProcessService, "OrderProcessService", sidecars, running);
                    (echo, var echoUri) = await StartEchoAsync();
                    apps[SidecarHost.EchoAppId] = echoUri;
                    echoSidecar = (string)sidecars[SidecarHost.EchoAppId]!["http"]!;
                    return new JsonObject { ["apps"] = apps };
                case "hop":
                    return await HopFloor.RunAsync(
                        new Uri(echoSidecar!), (int)args["concurrency"]!, TimeSpan.FromMilliseconds((double)args["durationMs"]!));
                case "stats":
                    return ControlChannel.ProcessStats();
                case "memory":
                    var memory = ControlChannel.MemoryAfterCollection();
                    if (rents is not null) memory["rents"] = rents.Top();
                    return memory;
                default:
                    throw new InvalidOperationException($"unknown command {command}");
            }
        });
        foreach (var app in running) await app.DisposeAsync();
        if (echo is not null) await echo.DisposeAsync();
    }

    private static string Start<TEntryPoint>(string appId, string folder, JsonObject sidecars, List<IAsyncDisposable> running)
        where TEntryPoint : class
    {
        var sidecar = sidecars[appId]!.AsObject();
        // The service's own folder, so its appsettings.json applies as under `dapr run`.
        var contentRoot = Path.Combine(ComponentFiles.RepoRoot, "services", folder);
        var factory = new KestrelAppFactory<TEntryPoint>(contentRoot, new Dictionary<string, string?>
        {
            ["DAPR_GRPC_ENDPOINT"] = ((string)sidecar["grpc"]!).TrimEnd('/'),
            ["DAPR_HTTP_ENDPOINT"] = ((string)sidecar["http"]!).TrimEnd('/'),
            ["APP_ID"] = appId,
        });
        factory.UseKestrel(0);
        factory.StartServer();
        running.Add(factory);
        var addresses = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return addresses.First();
    }

    /// <summary>The bare app of the hop floor: one route that answers 200 with a tiny body.</summary>
    private static async Task<(WebApplication, string)> StartEchoAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/echo", () => Results.Text("{\"ok\":true}", "application/json"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address);
    }

    /// <summary>A service in its own WebApplicationFactory on real Kestrel, configured like `dapr run` would.</summary>
    private sealed class KestrelAppFactory<TEntryPoint>(string contentRoot, IReadOnlyDictionary<string, string?> configuration)
        : WebApplicationFactory<TEntryPoint>
        where TEntryPoint : class
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // Production, as `dapr run` starts them (the factory's default is Development).
            builder.UseEnvironment("Production");
            builder.UseContentRoot(contentRoot);
            builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(configuration));
            builder.ConfigureLogging(l => l.ClearProviders());
        }
    }
}

/// <summary>
/// The hop floor: app → sidecar → app round trips (service invocation of the echo app through
/// its sidecar, POST with a small JSON body), as many as possible at a given concurrency.
/// </summary>
public static class HopFloor
{
    public static async Task<JsonObject> RunAsync(Uri sidecar, int concurrency, TimeSpan duration)
    {
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { BaseAddress = sidecar };
        var path = new Uri($"/v1.0/invoke/{SidecarHost.EchoAppId}/method/echo", UriKind.Relative);
        var body = Encoding.UTF8.GetBytes("{\"orderId\":\"0190b2f4-5b7e-7c3e-9d1a-000000000000\"}");
        long completed = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json");
                using var response = await client.PostAsync(path, content);
                await response.Content.ReadAsByteArrayAsync();
                if (response.IsSuccessStatusCode) Interlocked.Increment(ref completed);
                else Interlocked.Increment(ref failed);
            }
        });
        await Task.WhenAll(workers);
        return new JsonObject { ["hops"] = completed, ["failed"] = failed, ["elapsedMs"] = clock.Elapsed.TotalMilliseconds };
    }
}
