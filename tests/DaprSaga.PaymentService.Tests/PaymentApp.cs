using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.PaymentService.Customers;
using DaprSaga.PaymentService.Payments;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.TestSidecar;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DaprSaga.PaymentService.Tests;

/// <summary>
/// payment-service in memory beside its test sidecar on a fresh testbed, with the component
/// topic scopes of Contracts.Topology, a fake clock, and sidecars for inventory-service and
/// order-service to publish the events payment-service consumes.
/// </summary>
public sealed class PaymentApp : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly List<(Sidecar Sidecar, DaprClient Client)> _publishers = [];

    private PaymentApp(Testbed testbed, Sidecar sidecar) => (Testbed, Sidecar) = (testbed, sidecar);

    public Testbed Testbed { get; }

    public Sidecar Sidecar { get; }

    public FakeTimeProvider Clock { get; } = new(Start);

    public SidecarAppFactory<Payment> Factory { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public static async Task<PaymentApp> StartAsync(FaultPlan? faults = null)
    {
        var testbed = new Testbed(faults);
        testbed.PubSub(Components.PubSub, new Dictionary<string, string>
        {
            ["publishingScopes"] = Scopes(Topology.PublishingScope),
            ["subscriptionScopes"] = Scopes(Topology.SubscriptionScope),
        });
        var sidecar = await testbed.StartSidecarAsync(new SidecarOptions(AppIds.PaymentService)
        {
            StateStores = [Components.PaymentStore],
            PubSubs = [Components.PubSub],
            Bindings = Components.BindingsOf[AppIds.PaymentService],
        });
        var app = new PaymentApp(testbed, sidecar);
        foreach (var publisher in new[] { AppIds.InventoryService, AppIds.OrderService })
        {
            var other = await testbed.StartSidecarAsync(new SidecarOptions(publisher) { PubSubs = [Components.PubSub] });
            app._publishers.Add((other, NewClient(other)));
        }
        await app.StartAppAsync();
        return app;
    }

    private static DaprClient NewClient(Sidecar sidecar) => new DaprClientBuilder()
        .UseGrpcEndpoint(sidecar.GrpcEndpoint.ToString())
        .UseHttpEndpoint(sidecar.HttpEndpoint.ToString())
        .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions)
        .Build();

    /// <summary>
    /// A DaprClient on the sidecar of <paramref name="appId"/> (started on first use), e.g. to
    /// invoke payment-service as that app: its sidecar sets dapr-caller-app-id.
    /// </summary>
    public async Task<DaprClient> ClientAsync(string appId)
    {
        if (_publishers.FirstOrDefault(p => p.Sidecar.AppId == appId).Client is { } client) return client;
        var sidecar = await Testbed.StartSidecarAsync(new SidecarOptions(appId) { PubSubs = [Components.PubSub] });
        _publishers.Add((sidecar, NewClient(sidecar)));
        return _publishers[^1].Client;
    }

    private static string Scopes(Func<string, IEnumerable<string>> scope) =>
        string.Join(';', AppIds.All.Select(a => $"{a}={string.Join(',', scope(a))}"));

    /// <summary>Starts (or, after <see cref="StopAppAsync"/>, restarts) the app and waits for its demo seed.</summary>
    public async Task StartAppAsync()
    {
        Factory = await new SidecarAppFactory<Payment>(Sidecar, s => s.AddSingleton<TimeProvider>(Clock)).StartAsync();
        Http = Factory.CreateClient();
        await Factory.Services.GetRequiredService<DemoSeeding>().Seeded.WaitAsync(Deadline);
    }

    public async Task StopAppAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
    }

    /// <summary>Publishes as its real publisher does (cloudevent.type, partitionKey) and waits until handled.</summary>
    public async Task PublishAsync<TEvent>(TEvent integrationEvent) where TEvent : IIntegrationEvent
    {
        await PublisherOf(TEvent.Topic).PublishAsync(OutboxMessage.For(integrationEvent), CancellationToken.None);
        await Testbed.WaitForIdleAsync(Deadline);
    }

    /// <summary>Publishes without waiting for the handlers, retrying an injected publish fault.</summary>
    public async Task SendAsync<TEvent>(TEvent integrationEvent) where TEvent : IIntegrationEvent
    {
        var message = OutboxMessage.For(integrationEvent);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await PublisherOf(TEvent.Topic).PublishAsync(message, CancellationToken.None);
                return;
            }
            catch (Dapr.DaprException) when (attempt < 20)
            {
            }
        }
    }

    /// <summary>Publishes any payload on a topic, as a broken publisher might.</summary>
    public async Task PublishRawAsync(string topic, object data)
    {
        await ClientOf(topic).PublishEventAsync(Components.PubSub, topic, data);
        await Testbed.WaitForIdleAsync(Deadline);
    }

    private EventPublisher PublisherOf(string topic) => new(ClientOf(topic));

    private DaprClient ClientOf(string topic) =>
        _publishers.Single(p => Topology.Publishes[p.Sidecar.AppId].Contains(topic)).Client;

    public IReadOnlyList<TEvent> Published<TEvent>() where TEvent : IIntegrationEvent =>
        Testbed.PubSub(Components.PubSub).Published(TEvent.Topic)
            .Select(e => e.Envelope["data"].Deserialize<TEvent>(ServiceDefaultsExtensions.JsonOptions)!)
            .ToList();

    public IReadOnlyList<TestSidecar.PubSub.CloudEvent> DeadLetters() =>
        Testbed.PubSub(Components.PubSub).Published(Topics.DeadLetters(AppIds.PaymentService));

    public Task<PaymentView?> PaymentAsync(string orderId) => GetAsync<PaymentView>($"/payments/{orderId}");

    public async Task<decimal> CreditAsync(string customerId) => (await GetAsync<CustomerView>($"/customers/{customerId}"))!.Credit;

    public Task<HttpResponseMessage> PostAsync(string path) => Http.PostAsync(path, null);

    /// <summary>POSTs a JSON body (a string as is, anything else serialized), as <paramref name="caller"/>'s sidecar would.</summary>
    public async Task<HttpResponseMessage> PostJsonAsync(string path, object body, string? caller = null)
    {
        var json = body as string ?? JsonSerializer.Serialize(body, ServiceDefaultsExtensions.JsonOptions);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (caller is not null) request.Headers.Add("dapr-caller-app-id", caller);
        return await Http.SendAsync(request);
    }

    public Task<System.Net.HttpStatusCode?> TriggerAsync(string binding) => Sidecar.TriggerBindingAsync(binding);

    private async Task<T?> GetAsync<T>(string path) where T : class
    {
        using var response = await Http.GetAsync(path);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(ServiceDefaultsExtensions.JsonOptions);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        foreach (var (sidecar, client) in _publishers)
        {
            client.Dispose();
            await sidecar.DisposeAsync();
        }
        await Sidecar.DisposeAsync();
        await Testbed.DisposeAsync();
    }
}
