using DaprSaga.OrderProcessService.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// The four participant services and the orchestrator, each in memory beside its own test
/// sidecar, on one testbed with the real component scopes and one fake clock. Time moves only
/// when a test says so.
/// </summary>
public sealed class SagaCluster : IAsyncDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);

    private SagaCluster(Testbed testbed, FakeTimeProvider clock) => (Testbed, Clock) = (testbed, clock);

    public Testbed Testbed { get; }

    public FakeTimeProvider Clock { get; }

    public ServiceUnderTest Order { get; private set; } = null!;
    public ServiceUnderTest Inventory { get; private set; } = null!;
    public ServiceUnderTest Payment { get; private set; } = null!;
    public ServiceUnderTest Delivery { get; private set; } = null!;
    public ServiceUnderTest Process { get; private set; } = null!;

    /// <summary>The first replica of each app.</summary>
    public IEnumerable<ServiceUnderTest> Services => [Order, Inventory, Payment, Delivery, Process];

    private readonly Dictionary<string, List<ServiceUnderTest>> _replicas = new(StringComparer.Ordinal);

    /// <summary>How many instances of each app run (each beside its own sidecar of the app id).</summary>
    public int ReplicaCount { get; private set; } = 1;

    /// <summary>Every running instance of <paramref name="appId"/>, the first being <see cref="Order"/> etc.</summary>
    public IReadOnlyList<ServiceUnderTest> Replicas(string appId) => _replicas[appId];

    /// <summary>Every instance of every app, app by app in the order of <see cref="Services"/>.</summary>
    public IEnumerable<ServiceUnderTest> AllReplicas => Services.SelectMany(s => _replicas[s.AppId]);

    /// <param name="orderServiceOnRealSocket">Hosts order-service on Kestrel (a loopback port) so a browser can open its pages at Order.Http.BaseAddress.</param>
    /// <param name="sidecarOptions">Changes every sidecar's options before it starts (e.g. API tokens).</param>
    /// <param name="defaultEngine">Pins order-process-service's default engine; null keeps the product default (workflow).</param>
    /// <param name="replicas">Instances of each app, each beside its own sidecar of the app id, all on the same testbed and clock.</param>
    public static async Task<SagaCluster> StartAsync(
        FaultPlan? faults = null, Action<IServiceCollection>? configureServices = null, bool orderServiceOnRealSocket = false,
        Func<SidecarOptions, SidecarOptions>? sidecarOptions = null, SagaEngine? defaultEngine = null, int replicas = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var cluster = new SagaCluster(new Testbed(faults, timeProvider: clock), clock) { _sidecarOptions = sidecarOptions, ReplicaCount = replicas };
        cluster.Testbed.PubSub(Components.PubSub, ComponentFiles.PubSubMetadata());
        void UseClock(IServiceCollection s)
        {
            s.AddSingleton<TimeProvider>(clock);
            configureServices?.Invoke(s);
        }
        void UseProcessOptions(IServiceCollection s)
        {
            UseClock(s);
            if (defaultEngine is { } engine) s.PostConfigure<ProcessOptions>(o => o.DefaultEngine = engine);
        }

        // The first replica of each app first, so a one-replica cluster starts as it always did.
        for (var replica = 1; replica <= replicas; replica++)
        {
            await cluster.AddAsync<OrderEntry>(AppIds.OrderService, replica, UseClock, orderServiceOnRealSocket);
            await cluster.AddAsync<InventoryEntry>(AppIds.InventoryService, replica, UseClock);
            await cluster.AddAsync<PaymentEntry>(AppIds.PaymentService, replica, UseClock);
            await cluster.AddAsync<DeliveryEntry>(AppIds.DeliveryService, replica, UseClock);
            await cluster.AddAsync<ProcessEntry>(AppIds.OrderProcessService, replica, UseProcessOptions);
        }
        (cluster.Order, cluster.Inventory, cluster.Payment, cluster.Delivery, cluster.Process) = (
            cluster._replicas[AppIds.OrderService][0], cluster._replicas[AppIds.InventoryService][0], cluster._replicas[AppIds.PaymentService][0],
            cluster._replicas[AppIds.DeliveryService][0], cluster._replicas[AppIds.OrderProcessService][0]);
        for (var replica = 0; replica < replicas; replica++)
        {
            foreach (var service in cluster.Services) await cluster._replicas[service.AppId][replica].StartAsync();
        }

        // Each service seeds its demo data at start; wait until all of it is there.
        await Eventually.TrueAsync(async () =>
            await cluster.Inventory.Http.GetAsync(new Uri("/products/unobtainium", UriKind.Relative)) is { IsSuccessStatusCode: true }
            && await cluster.Payment.Http.GetAsync(new Uri("/customers/carol", UriKind.Relative)) is { IsSuccessStatusCode: true }
            && await cluster.Delivery.Http.GetAsync(new Uri("/couriers/c-east-1", UriKind.Relative)) is { IsSuccessStatusCode: true });
        return cluster;
    }

    private Func<SidecarOptions, SidecarOptions>? _sidecarOptions;

    private async Task AddAsync<TEntryPoint>(string appId, int replica, Action<IServiceCollection> configureServices, bool onRealSocket = false)
        where TEntryPoint : class
    {
        var service = ServiceUnderTest.For<TEntryPoint>(await SidecarFor(appId), configureServices, onRealSocket, replica);
        if (!_replicas.TryGetValue(appId, out var instances)) _replicas[appId] = instances = [];
        instances.Add(service);
    }

    private Task<Sidecar> SidecarFor(string appId)
    {
        var options = new SidecarOptions(appId)
        {
            StateStores = [Components.StoreOf[appId]],
            PubSubs = [Components.PubSub],
            Bindings = Components.BindingsOf[appId],
            // daprd refuses workflow calls without an actor state store; only the orchestrator uses one.
            ActorStateStore = appId == AppIds.OrderProcessService ? Components.StoreOf[appId] : null,
        }.WithConfigurationWorkflowRetention();
        return Testbed.StartSidecarAsync(_sidecarOptions?.Invoke(options) ?? options);
    }

    /// <summary>Places a choreography order and returns its id.</summary>
    public Task<string> PlaceOrderAsync(
        string customerId, string zone, bool autoConfirmPayment, params (string ProductId, int Quantity, decimal UnitPrice)[] items) =>
        SubmitAsync(Order, "/orders", customerId, zone, autoConfirmPayment, items);

    /// <summary>Starts an orchestrated order on the runner and returns its id.</summary>
    public Task<string> StartProcessAsync(
        string customerId, string zone, bool autoConfirmPayment, params (string ProductId, int Quantity, decimal UnitPrice)[] items) =>
        StartProcessAsync(SagaEngine.Runner, customerId, zone, autoConfirmPayment, items);

    /// <summary>Starts an orchestrated order on Dapr Workflow and returns its id.</summary>
    public Task<string> StartWorkflowAsync(
        string customerId, string zone, bool autoConfirmPayment, params (string ProductId, int Quantity, decimal UnitPrice)[] items) =>
        StartProcessAsync(SagaEngine.Workflow, customerId, zone, autoConfirmPayment, items);

    /// <summary>Starts an orchestrated order on <paramref name="engine"/> (null: the service's default) and returns its id.</summary>
    public Task<string> StartProcessAsync(
        SagaEngine? engine, string customerId, string zone, bool autoConfirmPayment, params (string ProductId, int Quantity, decimal UnitPrice)[] items) =>
        SubmitAsync(Process, "/order-processes", customerId, zone, autoConfirmPayment, items, engine);

    // Both entry points take the same body (plus the engine) and answer 202 with the order id.
    private static async Task<string> SubmitAsync(
        ServiceUnderTest service, string path, string customerId, string zone, bool autoConfirmPayment,
        (string ProductId, int Quantity, decimal UnitPrice)[] items, SagaEngine? engine = null)
    {
        using var response = await service.Http.PostAsJsonAsync(new Uri(path, UriKind.Relative), new
        {
            customerId,
            items = items.Select(i => new { productId = i.ProductId, quantity = i.Quantity, unitPrice = i.UnitPrice }),
            deliveryZone = zone,
            autoConfirmPayment,
            engine = engine?.ToString().ToLowerInvariant(),
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (string)body!["orderId"]!;
    }

    /// <summary>Does what the customer chose to a waiting order, on the service that offers it, and returns its answer.</summary>
    public async Task<HttpStatusCode> ActAsync(CustomerAction action, string id)
    {
        var (service, path) = action switch
        {
            CustomerAction.ConfirmPayment => (Payment, $"/payments/{id}/confirm"),
            CustomerAction.CancelPayment => (Payment, $"/payments/{id}/cancel"),
            _ => (Order, $"/orders/{id}/cancel"),
        };
        using var response = await service.Http.PostAsync(new Uri(path, UriKind.Relative), null);
        return response.StatusCode;
    }

    public Task<JsonObject> ProcessAsync(string id) => GetAsync(Process, $"/order-processes/{id}");

    /// <summary>Waits until the orchestrated saga has stopped moving in one of <paramref name="statuses"/>, and all its events are delivered.</summary>
    public async Task<JsonObject> SettleProcessAsync(string id, params string[] statuses)
    {
        string[] wanted = statuses.Length > 0 ? statuses : ["Completed", "Cancelled"];
        await Eventually.TrueAsync(async () => Enumerable.Contains(wanted, (string?)(await ProcessAsync(id))["status"]), Quiet);
        await QuiesceAsync();
        return await ProcessAsync(id);
    }

    /// <summary>Waits until no message is in flight anywhere (the saga has done all it can for now).</summary>
    public Task QuiesceAsync() => Testbed.WaitForIdleAsync(Quiet);

    /// <summary>Moves the shared clock, fires every cron binding (as their schedules would), and waits.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        await TickAsync();
    }

    public async Task TickAsync()
    {
        // Every replica's daprd runs its own cron bindings (components-contrib bindings/cron).
        foreach (var service in AllReplicas)
        {
            foreach (var binding in service.Sidecar.Options.Bindings) await service.Sidecar.TriggerBindingAsync(binding);
        }
        await QuiesceAsync();
    }

    public Task<JsonObject> OrderAsync(string id) => GetAsync(Order, $"/orders/{id}");
    public Task<JsonObject> ProductAsync(string id) => GetAsync(Inventory, $"/products/{id}");
    public Task<JsonObject> ReservationAsync(string id) => GetAsync(Inventory, $"/reservations/{id}");
    public Task<JsonObject> CustomerAsync(string id) => GetAsync(Payment, $"/customers/{id}");
    public Task<JsonObject> PaymentAsync(string id) => GetAsync(Payment, $"/payments/{id}");
    public Task<JsonObject> CourierAsync(string id) => GetAsync(Delivery, $"/couriers/{id}");
    public Task<JsonObject> DeliveryAsync(string id) => GetAsync(Delivery, $"/deliveries/{id}");

    /// <summary>Every key and value in every app's state store: equal before and after means nothing changed.</summary>
    public Dictionary<string, string> StateFingerprint() =>
        Services
            .Select(s => Components.StoreOf[s.AppId])
            .SelectMany(store => Testbed.StateStore(store).Snapshot().Select(e => (Key: store + "/" + e.Key, e.Value)))
            .ToDictionary(e => e.Key, e => Convert.ToBase64String(e.Value));

    public static async Task<HttpStatusCode> StatusOfAsync(ServiceUnderTest service, string path) =>
        (await service.Http.GetAsync(new Uri(path, UriKind.Relative))).StatusCode;

    private static async Task<JsonObject> GetAsync(ServiceUnderTest service, string path)
    {
        using var response = await service.Http.GetAsync(new Uri(path, UriKind.Relative));
        Assert.True(response.IsSuccessStatusCode, $"GET {service.AppId}{path} answered {(int)response.StatusCode}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in AllReplicas) await service.StopAsync();
        await Testbed.DisposeAsync();
    }
}

/// <summary>What a customer can do to an order waiting for the payment's confirmation.</summary>
public enum CustomerAction
{
    ConfirmPayment,
    CancelPayment,
    CancelOrder,
}

/// <summary>Awaits a condition that becomes true asynchronously, with a deadline.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(15));
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!await condition())
        {
            if (!await poll.WaitForNextTickAsync(timeout.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default))
                throw new TimeoutException("condition not met before the deadline");
        }
    }
}
