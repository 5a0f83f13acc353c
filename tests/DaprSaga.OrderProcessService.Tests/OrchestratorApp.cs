using Dapr.DurableTask.Protobuf;
using DaprSaga.OrderProcessService.Processes;
using DaprSaga.ServiceDefaults;
using DaprSaga.TestSidecar.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>
/// order-process-service on the shared <see cref="ServiceHost{TEntryPoint}"/>, with the four
/// participants as stubs behind sidecars of their own (so every command is a real service
/// invocation). Orders default to the runner: the test sidecar has no workflow backend, so a
/// workflow test brings a fake one (<see cref="FakeTaskHub"/>).
/// </summary>
public sealed class OrchestratorApp : ServiceHost<OrderProcess>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private OrchestratorApp(ServiceHostOptions options)
        : base(AppIds.OrderProcessService, options)
    {
    }

    public Dictionary<string, ParticipantStub> Participants { get; } = new()
    {
        [AppIds.OrderService] = new(),
        [AppIds.InventoryService] = new(),
        [AppIds.PaymentService] = new(),
        [AppIds.DeliveryService] = new(),
    };

    /// <param name="daprApiToken">DAPR_API_TOKEN of the orchestrator's sidecar: every call to it must carry the token.</param>
    /// <param name="defaultEngine">OrderProcess:DefaultEngine of the app, for requests that name no engine.</param>
    /// <param name="taskHub">Stands in for the sidecar's workflow backend.</param>
    public static async Task<OrchestratorApp> StartAsync(
        string? daprApiToken = null, SagaEngine defaultEngine = SagaEngine.Runner, FakeTaskHub? taskHub = null)
    {
        var app = new OrchestratorApp(new ServiceHostOptions
        {
            Start = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero),
            Deadline = Patience,
            Sidecar = o => o with { DaprApiToken = daprApiToken },
            ConfigureServices = s =>
            {
                s.PostConfigure<ProcessOptions>(o => o.DefaultEngine = defaultEngine);
                if (taskHub is not null) s.AddSingleton<TaskHubSidecarService.TaskHubSidecarServiceClient>(taskHub);
            },
        });
        foreach (var (appId, stub) in app.Participants)
            await (await app.SidecarOfAsync(appId)).AttachAppAsync(new HttpClient(stub) { BaseAddress = new Uri($"http://{appId}/") });
        return await LaunchAsync(app);
    }

    /// <summary>Ready once its start-up recovery pass is over.</summary>
    protected override Task ReadyAsync() =>
        Services.GetServices<IHostedService>().OfType<ProcessRecoveryAtStart>().Single().ExecuteTask!;

    /// <summary>POST /order-processes: alice buys 2 × widget at 10.00 for the north zone.</summary>
    public async Task<string> StartProcessAsync(bool autoConfirmPayment = true)
    {
        using var response = await Http.PostAsJsonAsync("/order-processes", new
        {
            customerId = "alice",
            items = new[] { new { productId = "widget", quantity = 2, unitPrice = 10.00m } },
            deliveryZone = "north",
            autoConfirmPayment,
        });
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["orderId"]!;
    }

    /// <summary>The stored instance, read from the store itself: no sidecar call is counted.</summary>
    public OrderProcess? Stored(string orderId) =>
        Read<OrderProcess>(ProcessRunner.KeyOf(orderId));

    /// <summary>Every id in a sharded index ("running-processes"), read from the store itself.</summary>
    public IReadOnlySet<string> Index(string name) =>
        Enumerable.Range(0, 16).SelectMany(n => Read<SortedSet<string>>($"{name}-index-{n}") ?? []).ToHashSet();

    /// <summary>
    /// Creates every shard of both indexes, empty, as a store that has seen a few sagas holds
    /// them (a shard is never deleted, only emptied). Written first-write, as ShardedIndex does.
    /// </summary>
    public void CreateIndexShards()
    {
        var store = Testbed.StateStore(Components.ProcessStore);
        foreach (var name in new[] { "processes", "running-processes" })
        {
            for (var n = 0; n < 16; n++)
                store.Set(new StateWrite($"{AppIds.OrderProcessService}||{name}-index-{n}", "[]"u8.ToArray(), ETag: null, FirstWrite: true));
        }
    }

    public Task<System.Net.HttpStatusCode?> TriggerRecoveryAsync() => TriggerAsync(Components.ProcessRecovery);

    /// <summary>Waits for a condition on what the store holds (no sidecar calls), up to the deadline.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!condition())
        {
            if (!await poll.WaitForNextTickAsync(timeout.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default))
                throw new TimeoutException($"not reached before the deadline: {what}");
        }
    }

    private T? Read<T>(string key) where T : class
    {
        var (data, _) = Testbed.StateStore(Components.ProcessStore).Get($"{AppIds.OrderProcessService}||{key}");
        return data is null ? null : JsonSerializer.Deserialize<T>(data, ServiceDefaultsExtensions.JsonOptions);
    }
}
