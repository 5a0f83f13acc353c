using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Client;
using Dapr.DurableTask.Protobuf;
using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Processes;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.TestSidecar;
using DaprSaga.TestSidecar.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>
/// order-process-service beside its test sidecar, with the four participants as stubs behind
/// sidecars of their own (so every command is a real service invocation), the real component
/// scopes, and a fake clock that moves only when a test says so. Orders default to the runner:
/// the test sidecar has no workflow backend, so a workflow test brings a fake one (<see cref="FakeTaskHub"/>).
/// </summary>
public sealed class OrchestratorApp : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly List<Sidecar> _participantSidecars = [];
    private DaprClient? _paymentClient;

    private readonly Action<IServiceCollection>? _configureServices;

    private OrchestratorApp(Testbed testbed, FakeTimeProvider clock, Action<IServiceCollection>? configureServices) =>
        (Testbed, Clock, _configureServices) = (testbed, clock, configureServices);

    public Testbed Testbed { get; }

    public FakeTimeProvider Clock { get; }

    public Sidecar Sidecar { get; private set; } = null!;

    public SidecarAppFactory<OrderProcess> Factory { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

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
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var app = new OrchestratorApp(new Testbed(timeProvider: clock), clock, s =>
        {
            s.PostConfigure<ProcessOptions>(o => o.DefaultEngine = defaultEngine);
            if (taskHub is not null) s.AddSingleton<TaskHubSidecarService.TaskHubSidecarServiceClient>(taskHub);
        });
        app.Testbed.PubSub(Components.PubSub, ComponentFiles.PubSubMetadata());
        foreach (var (appId, stub) in app.Participants)
        {
            var sidecar = await app.Testbed.StartSidecarAsync(new SidecarOptions(appId) { PubSubs = [Components.PubSub] });
            app._participantSidecars.Add(sidecar);
            await sidecar.AttachAppAsync(new HttpClient(stub) { BaseAddress = new Uri($"http://{appId}/") });
        }
        app.Sidecar = await app.Testbed.StartSidecarAsync(new SidecarOptions(AppIds.OrderProcessService)
        {
            StateStores = [Components.ProcessStore],
            PubSubs = [Components.PubSub],
            Bindings = Components.BindingsOf[AppIds.OrderProcessService],
            DaprApiToken = daprApiToken,
        });
        await app.StartAppAsync();
        return app;
    }

    /// <summary>Starts (or restarts) the app and waits until its start-up recovery pass is over.</summary>
    public async Task StartAppAsync()
    {
        Factory = await new SidecarAppFactory<OrderProcess>(Sidecar, s =>
        {
            s.AddSingleton<TimeProvider>(Clock);
            _configureServices?.Invoke(s);
        }).StartAsync();
        Http = Factory.CreateClient();
        var atStart = Factory.Services.GetServices<IHostedService>().OfType<ProcessRecoveryAtStart>().Single();
        await atStart.ExecuteTask!.WaitAsync(Deadline);
    }

    public async Task StopAppAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
    }

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

    /// <summary>Publishes as payment-service does, from its sidecar.</summary>
    public async Task PublishAsync<TEvent>(TEvent integrationEvent) where TEvent : IIntegrationEvent
    {
        var sidecar = _participantSidecars.Single(s => s.AppId == AppIds.PaymentService);
        _paymentClient ??= new DaprClientBuilder()
            .UseGrpcEndpoint(sidecar.GrpcEndpoint.ToString())
            .UseHttpEndpoint(sidecar.HttpEndpoint.ToString())
            .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions)
            .Build();
        await new EventPublisher(_paymentClient).PublishAsync(OutboxMessage.For(integrationEvent), CancellationToken.None);
    }

    public Task<System.Net.HttpStatusCode?> TriggerRecoveryAsync() => Sidecar.TriggerBindingAsync(Components.ProcessRecovery);

    /// <summary>Waits for a condition on what the store holds (no sidecar calls), up to <see cref="Deadline"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Deadline);
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

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        _paymentClient?.Dispose();
        foreach (var sidecar in _participantSidecars) await sidecar.DisposeAsync();
        await Sidecar.DisposeAsync();
        await Testbed.DisposeAsync();
    }
}
