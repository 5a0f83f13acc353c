using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.OrderService.Orders;
using DaprSaga.ServiceDefaults;
using DaprSaga.TestSidecar;
using DaprSaga.TestSidecar.PubSub;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DaprSaga.OrderService.Tests;

/// <summary>
/// order-service in memory beside its test sidecar, plus a second sidecar ("participant") whose
/// DaprClient publishes the other services' events. Time is a fake clock the test advances.
/// </summary>
public sealed class OrderServiceHost : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly List<IDisposable> _disposables = [];

    private OrderServiceHost(Testbed testbed, FakeTimeProvider clock) => (Testbed, Clock) = (testbed, clock);

    public Testbed Testbed { get; }

    public FakeTimeProvider Clock { get; }

    public FaultPlan Faults => Testbed.Faults;

    public Sidecar Sidecar { get; private set; } = null!;

    public SidecarAppFactory<Order> App { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    private Sidecar Participant { get; set; } = null!;

    private DaprClient Publisher { get; set; } = null!;

    public static async Task<OrderServiceHost> StartAsync()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var host = new OrderServiceHost(new Testbed(new FaultPlan(seed: 1), timeProvider: clock), clock);
        host.Sidecar = await host.Testbed.StartSidecarAsync(new SidecarOptions(AppIds.OrderService)
        {
            StateStores = [Components.OrderStore],
            PubSubs = [Components.PubSub],
            Bindings = Components.BindingsOf[AppIds.OrderService],
        });
        host.App = await new SidecarAppFactory<Order>(host.Sidecar, s => s.AddSingleton<TimeProvider>(clock)).StartAsync();
        host.Http = host.App.CreateClient();
        host.Participant = await host.Testbed.StartSidecarAsync(new SidecarOptions("participant") { PubSubs = [Components.PubSub] });
        host.Publisher = new DaprClientBuilder()
            .UseGrpcEndpoint(host.Participant.GrpcEndpoint.ToString())
            .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions)
            .Build();
        return host;
    }

    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Publishes an event as its participant would, and waits until it has been handled.</summary>
    public async Task PublishAsync<TEvent>(TEvent integrationEvent) where TEvent : IIntegrationEvent
    {
        await Publisher.PublishEventAsync(Components.PubSub, TEvent.Topic, integrationEvent,
            new Dictionary<string, string> { ["cloudevent.type"] = Topics.EventType(TEvent.Topic) });
        await IdleAsync();
    }

    /// <summary>Publishes any payload to a topic (for malformed events).</summary>
    public async Task PublishRawAsync(string topic, object payload)
    {
        await Publisher.PublishEventAsync(Components.PubSub, topic, payload);
        await IdleAsync();
    }

    public Task IdleAsync() => Testbed.WaitForIdleAsync(Deadline);

    public IReadOnlyList<CloudEvent> Published(string topic) => Testbed.PubSub(Components.PubSub).Published(topic);

    public IReadOnlyList<JsonElement> PublishedData(string topic) =>
        Published(topic).Select(e => JsonSerializer.SerializeToElement(e.Envelope["data"])).ToList();

    public static object HappyOrder(string customerId = "alice", string zone = "north") => new
    {
        customerId,
        items = new[] { new { productId = "widget", quantity = 2, unitPrice = 10.00m } },
        deliveryZone = zone,
    };

    public async Task<OrderAccepted> PlaceAsync(object? body = null)
    {
        using var response = await Http.PostAsJsonAsync("/orders", body ?? HappyOrder());
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<OrderAccepted>(ServiceDefaultsExtensions.JsonOptions))!;
    }

    public async Task<OrderView> GetAsync(string orderId) =>
        (await Http.GetFromJsonAsync<OrderView>($"/orders/{orderId}", ServiceDefaultsExtensions.JsonOptions))!;

    public Task<HttpResponseMessage> CancelAsync(string orderId) => Http.PostAsync($"/orders/{orderId}/cancel", null);

    /// <summary>
    /// Sends a participant command as order-process-service's Participants does: camelCase JSON
    /// (`{}` when it has nothing to say), with the dapr-caller-app-id its sidecar sets (null: none).
    /// </summary>
    public async Task<HttpResponseMessage> CommandAsync(
        HttpMethod method, string path, object? body = null, string? caller = AppIds.OrderProcessService)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = JsonContent.Create(body ?? new { }, options: ServiceDefaultsExtensions.JsonOptions),
        };
        if (caller is not null) request.Headers.Add("dapr-caller-app-id", caller);
        return await Http.SendAsync(request);
    }

    /// <summary>PUT /orders/{id}: creates the order as the orchestrator's first step.</summary>
    public Task<HttpResponseMessage> CreateOrchestratedAsync(string orderId, object? body = null, string? caller = AppIds.OrderProcessService) =>
        CommandAsync(HttpMethod.Put, $"/orders/{orderId}", body ?? HappyOrder(), caller);

    /// <summary>The orchestrator's cancel {reason}, its compensation.</summary>
    public Task<HttpResponseMessage> CompensateAsync(string orderId, CancellationReason reason, string? caller = AppIds.OrderProcessService) =>
        CommandAsync(HttpMethod.Post, $"/orders/{orderId}/cancel", new { reason }, caller);

    /// <summary>
    /// An HttpClient that reaches order-service through Dapr service invocation from a sidecar of
    /// <paramref name="appId"/>, so order-service sees that app id in dapr-caller-app-id.
    /// </summary>
    public async Task<HttpClient> InvokerAsync(string appId)
    {
        var sidecar = await Testbed.StartSidecarAsync(new SidecarOptions(appId));
        var dapr = new DaprClientBuilder()
            .UseGrpcEndpoint(sidecar.GrpcEndpoint.ToString())
            .UseHttpEndpoint(sidecar.HttpEndpoint.ToString())
            .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions)
            .Build();
        _disposables.Add(dapr);
        var client = dapr.CreateInvokableHttpClient(AppIds.OrderService);
        _disposables.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var disposable in _disposables) disposable.Dispose();
        Publisher.Dispose();
        Http.Dispose();
        await App.DisposeAsync();
        await Testbed.DisposeAsync();
    }
}
