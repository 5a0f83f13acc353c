using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.ServiceDefaults;
using DaprSaga.TestSidecar;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.DeliveryService.Tests;

/// <summary>
/// delivery-service in memory beside its test sidecar, plus an order-service sidecar (no app)
/// whose DaprClient publishes the events delivery-service consumes. Pub/sub scopes as in
/// components/: each app publishes its own topics and its dead-letter topic only.
/// </summary>
public sealed class DeliveryHost : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly List<DaprClient> _callers = [];

    private DeliveryHost(Testbed testbed, Sidecar sidecar, Sidecar orderSidecar, SidecarAppFactory<Delivery> app, DaprClient orders)
    {
        (Testbed, Sidecar, OrderSidecar, App, Orders) = (testbed, sidecar, orderSidecar, app, orders);
        Http = app.CreateClient();
        AsOrchestrator = app.CreateClient();
        AsOrchestrator.DefaultRequestHeaders.Add(ParticipantCommands.CallerHeader, AppIds.OrderProcessService);
    }

    public Testbed Testbed { get; }

    public Sidecar Sidecar { get; }

    public Sidecar OrderSidecar { get; }

    public SidecarAppFactory<Delivery> App { get; }

    /// <summary>A DaprClient of order-service, which may publish order events.</summary>
    public DaprClient Orders { get; }

    public HttpClient Http { get; }

    /// <summary>Calls the app as order-process-service's sidecar would: its participant commands serve only that caller.</summary>
    public HttpClient AsOrchestrator { get; }

    /// <summary>The app's own DaprClient (to set up state a crash would leave).</summary>
    public DaprClient AppDapr => App.Services.GetRequiredService<DaprClient>();

    /// <param name="faults">Faults to inject once set in the plan (none by default).</param>
    public static async Task<DeliveryHost> StartAsync(FaultPlan? faults = null)
    {
        var testbed = new Testbed(faults);
        testbed.PubSub(Components.PubSub, new Dictionary<string, string>
        {
            ["publishingScopes"] = Scopes(Topology.PublishingScope),
            ["subscriptionScopes"] = Scopes(Topology.SubscriptionScope),
        });
        var sidecar = await testbed.StartSidecarAsync(new SidecarOptions(AppIds.DeliveryService)
        {
            StateStores = [Components.DeliveryStore],
            PubSubs = [Components.PubSub],
            Bindings = Components.BindingsOf[AppIds.DeliveryService],
        });
        var orderSidecar = await testbed.StartSidecarAsync(new SidecarOptions(AppIds.OrderService) { PubSubs = [Components.PubSub] });
        var app = await new SidecarAppFactory<Delivery>(sidecar).StartAsync();
        await app.Services.GetRequiredService<DemoSeeding>().Seeded.WaitAsync(Deadline);
        var orders = new DaprClientBuilder()
            .UseGrpcEndpoint(orderSidecar.GrpcEndpoint.ToString())
            .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions)
            .Build();
        return new DeliveryHost(testbed, sidecar, orderSidecar, app, orders);
    }

    private static string Scopes(Func<string, IEnumerable<string>> topicsOf) =>
        string.Join(';', AppIds.All.Select(app => $"{app}={string.Join(',', topicsOf(app))}"));

    public Task PublishAsync<TEvent>(TEvent integrationEvent) where TEvent : IIntegrationEvent =>
        Orders.PublishEventAsync(Components.PubSub, TEvent.Topic, integrationEvent, new Dictionary<string, string>
        {
            ["cloudevent.type"] = Topics.EventType(TEvent.Topic),
            ["partitionKey"] = integrationEvent.OrderId,
        });

    public Task ConfirmAsync(string orderId, string zone, SagaFlow flow = SagaFlow.Choreography) =>
        PublishAsync(new OrderConfirmed(orderId, flow, zone, DateTimeOffset.UtcNow));

    public Task CancelAsync(string orderId, CancellationReason reason = CancellationReason.CustomerCancelled) =>
        PublishAsync(new OrderCancelled(orderId, SagaFlow.Choreography, reason, DateTimeOffset.UtcNow));

    /// <summary>
    /// An HTTP client that calls delivery-service through Dapr service invocation from a sidecar
    /// of <paramref name="callerAppId"/> (no app; order-service's is the one already running),
    /// the way order-process-service does.
    /// </summary>
    public async Task<HttpClient> InvokerFromAsync(string callerAppId)
    {
        var caller = callerAppId == OrderSidecar.AppId
            ? OrderSidecar
            : await Testbed.StartSidecarAsync(new SidecarOptions(callerAppId));
        var dapr = new DaprClientBuilder()
            .UseGrpcEndpoint(caller.GrpcEndpoint.ToString())
            .UseHttpEndpoint(caller.HttpEndpoint.ToString())
            .Build();
        _callers.Add(dapr);
        return dapr.CreateInvokableHttpClient(AppIds.DeliveryService);
    }

    public Task IdleAsync() => Testbed.WaitForIdleAsync(Deadline);

    /// <summary>
    /// The data of every distinct event published on a topic. The outbox may send one event more
    /// than once (racing senders, the sweep) under the same CloudEvent id, which consumers
    /// recognise; a second effect would be a second id.
    /// </summary>
    public IReadOnlyList<JsonObject> Published(string topic) =>
        Testbed.PubSub(Components.PubSub).Published(topic).DistinctBy(e => e.Id).Select(e => e.Envelope["data"]!.AsObject()).ToList();

    public IReadOnlyList<JsonObject> PublishedFor(string topic, string orderId) =>
        Published(topic).Where(d => (string?)d["orderId"] == orderId).ToList();

    public async Task<CourierView> CourierAsync(string courierId) =>
        (await Http.GetFromJsonAsync<CourierView>($"/couriers/{courierId}", ServiceDefaultsExtensions.JsonOptions))!;

    public async Task<DeliveryView?> DeliveryAsync(string orderId)
    {
        using var response = await Http.GetAsync($"/deliveries/{orderId}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<DeliveryView>(ServiceDefaultsExtensions.JsonOptions);
    }

    /// <summary>Every courier as stored, assignments included.</summary>
    public IReadOnlyList<Courier> StoredCouriers() =>
        Testbed.StateStore(Components.DeliveryStore).Snapshot($"{AppIds.DeliveryService}||{CourierRoster.KeyOf("")}")
            .Values.Select(v => JsonSerializer.Deserialize<Courier>(v, ServiceDefaultsExtensions.JsonOptions)!).ToList();

    /// <summary>The invariants: at most one active slot per order, never more active than capacity allows.</summary>
    public void AssertCourierInvariants()
    {
        var couriers = StoredCouriers();
        var activeOrders = couriers.SelectMany(c => c.Assignments.Where(a => a.Value == AssignmentState.Active).Select(a => a.Key)).ToList();
        Assert.Equal(activeOrders.Distinct().Count(), activeOrders.Count);
        Assert.All(couriers, c => Assert.True(c.ActiveDeliveries <= c.Capacity, $"{c.CourierId}: {c.ActiveDeliveries} active, capacity {c.Capacity}"));
    }

    /// <summary>Every delivery as stored, tombstones and steps under way included.</summary>
    public IReadOnlyList<Delivery> StoredDeliveries() =>
        Testbed.StateStore(Components.DeliveryStore).Snapshot($"{AppIds.DeliveryService}||{DeliveryDispatcher.KeyOf("")}")
            .Values.Select(v => JsonSerializer.Deserialize<Delivery>(v, ServiceDefaultsExtensions.JsonOptions)!).ToList();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        AsOrchestrator.Dispose();
        Orders.Dispose();
        foreach (var caller in _callers) caller.Dispose();
        await App.DisposeAsync();
        await Testbed.DisposeAsync();
    }
}
