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

    public async ValueTask DisposeAsync()
    {
        Publisher.Dispose();
        Http.Dispose();
        await App.DisposeAsync();
        await Testbed.DisposeAsync();
    }
}
