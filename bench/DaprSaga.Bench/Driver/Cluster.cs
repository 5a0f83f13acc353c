using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DaprSaga.Bench.Hosts;
using DaprSaga.Contracts;

namespace DaprSaga.Bench.Driver;

/// <summary>
/// One fresh deployment for one flow: the sidecar process (broker, state, six sidecars) and the
/// services process (five apps and the echo app), wired to each other over loopback sockets.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly SocketsHttpHandler _handler;

    private Cluster(ChildHost sidecars, ChildHost apps, SocketsHttpHandler handler, IReadOnlyDictionary<string, HttpClient> clients, TerminalTracker tracker) =>
        (Sidecars, Apps, _handler, Clients, Tracker) = (sidecars, apps, handler, clients, tracker);

    public ChildHost Sidecars { get; }

    public ChildHost Apps { get; }

    /// <summary>The driver's own client per app, straight to the app (as a customer would call it).</summary>
    public IReadOnlyDictionary<string, HttpClient> Clients { get; }

    public TerminalTracker Tracker { get; }

    public HttpClient Order => Clients[AppIds.OrderService];
    public HttpClient Inventory => Clients[AppIds.InventoryService];
    public HttpClient Payment => Clients[AppIds.PaymentService];
    public HttpClient Delivery => Clients[AppIds.DeliveryService];
    public HttpClient Process => Clients[AppIds.OrderProcessService];

    public static async Task<Cluster> StartAsync()
    {
        var tracker = new TerminalTracker();
        var sidecars = ChildHost.Start("sidecars", tracker.OnLine);
        var apps = ChildHost.Start("apps");
        var endpoints = (await sidecars.ReadyAsync())["sidecars"]!.AsObject();
        await apps.ReadyAsync();
        var started = await apps.SendAsync("start", new JsonObject { ["sidecars"] = endpoints.DeepClone() });
        var addresses = started["apps"]!.AsObject();
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        var clients = new Dictionary<string, HttpClient>();
        foreach (var (appId, uri) in addresses)
        {
            await sidecars.SendAsync("attach", new JsonObject { ["appId"] = appId, ["uri"] = (string)uri! });
            clients[appId] = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri((string)uri!), Timeout = TimeSpan.FromSeconds(60) };
        }
        var cluster = new Cluster(sidecars, apps, handler, clients, tracker);
        // Each service seeds its demo data at start; let that finish before anything is measured.
        await UntilAsync(async () =>
            await cluster.Inventory.GetAsync(new Uri("/products/unobtainium", UriKind.Relative)) is { IsSuccessStatusCode: true }
            && await cluster.Payment.GetAsync(new Uri("/customers/carol", UriKind.Relative)) is { IsSuccessStatusCode: true }
            && await cluster.Delivery.GetAsync(new Uri("/couriers/c-east-1", UriKind.Relative)) is { IsSuccessStatusCode: true },
            TimeSpan.FromSeconds(60), "demo data seeded");
        return cluster;
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        using var timeout = new CancellationTokenSource(deadline);
        while (!await condition())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"not {what} after {deadline}");
            }
        }
    }

    /// <summary>
    /// Waits until nothing is in flight on the broker and no sidecar call happens for 200 ms (the
    /// orchestrator's last writes and the choreography's trailing commits included).
    /// </summary>
    public async Task<(JsonObject Sidecars, JsonObject Apps)> QuiesceAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        long previous = -1;
        while (true)
        {
            await Sidecars.SendAsync("idle", new JsonObject { ["timeoutMs"] = deadline.TotalMilliseconds });
            var stats = await Sidecars.SendAsync("stats");
            var total = TotalCalls(stats);
            if (total == previous) return (stats, await Apps.SendAsync("stats"));
            previous = total;
            await Task.Delay(200, timeout.Token);
        }
    }

    public static long TotalCalls(JsonObject sidecarStats) =>
        sidecarStats["calls"]!.AsObject().Sum(app => app.Value!.AsObject().Sum(kind => (long)kind.Value!));

    public static async Task<JsonObject> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in Clients.Values) client.Dispose();
        _handler.Dispose();
        await Apps.DisposeAsync();
        await Sidecars.DisposeAsync();
    }
}
