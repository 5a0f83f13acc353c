using System.Net;
using System.Net.Http.Json;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Every sidecar with APP_API_TOKEN and DAPR_API_TOKEN (each app's own, read from its
/// configuration): sagas of both flows still complete, because daprd sends the app token on
/// deliveries, bindings, subscription reads and invocations; a direct call to a Dapr-facing
/// endpoint without it, or with a wrong one, is 401 and changes nothing; the bindings' OPTIONS
/// probe and the customer endpoints need no token.
/// </summary>
public sealed class AppTokenScenarioTests : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private SagaCluster _cluster = null!;

    private static string AppTokenOf(string appId) => "app-token-of-" + appId;

    public async Task InitializeAsync() => _cluster = await SagaCluster.StartAsync(
        sidecarOptions: o => o with { AppApiToken = AppTokenOf(o.AppId), DaprApiToken = "dapr-token-of-" + o.AppId });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public void EveryAppReadsItsSubscriptionsThroughItsSidecarWithTheToken()
    {
        foreach (var service in _cluster.Services)
        {
            Assert.Equal(
                Topology.Subscribes[service.AppId].Order(StringComparer.Ordinal),
                service.Sidecar.Subscriptions.Select(s => s.Topic).Where(t => t != Topics.DeadLetters(service.AppId)).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task AChoreographedSagaCompletesWithTheCustomersConfirmation()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "south", autoConfirmPayment: false, ("gadget", 1, 25.00m));
        await _cluster.QuiesceAsync();
        Assert.Equal("AwaitingPayment", (string?)(await _cluster.OrderAsync(id))["status"]);

        // A customer endpoint: no token.
        using var confirm = await _cluster.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        await _cluster.QuiesceAsync();

        await Expect.CompletedAsync(_cluster, id, customer: "alice", credit: 9975.00m, product: "gadget", onHand: 99, sold: 1, amount: 25.00m);
    }

    [Fact]
    public async Task AnOrchestratedSagaCompletesThroughInvocationsCarryingTheToken()
    {
        var id = await _cluster.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));

        var process = await _cluster.SettleProcessAsync(id);

        Assert.Equal("Completed", (string?)process["status"]);
        await Expect.CompletedAsync(_cluster, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task EveryCronBindingIsEnabledByItsProbeAndFiresWithTheToken()
    {
        foreach (var service in _cluster.Services)
        {
            foreach (var binding in service.Sidecar.Options.Bindings)
                Assert.Equal(HttpStatusCode.OK, await service.Sidecar.TriggerBindingAsync(binding));
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task DirectCallsToDaprFacingEndpointsWithoutTheRightTokenAre401AndChangeNothing(string? token)
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await _cluster.QuiesceAsync();
        var before = _cluster.StateFingerprint();
        var published = _cluster.Testbed.PubSub(Components.PubSub).Published(Topics.OrderPlaced).Count;
        var orderPlaced = new OrderPlaced("o-intruder", SagaFlow.Choreography, "alice", [new OrderLine("widget", 5, 10m)], 50m, "north", true, At);

        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(_cluster.Inventory, HttpMethod.Post, "/events/" + Topics.OrderPlaced, token, Json(orderPlaced)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(_cluster.Inventory, HttpMethod.Get, "/dapr/subscribe", token));
        foreach (var service in _cluster.Services)
        {
            foreach (var binding in service.Sidecar.Options.Bindings)
                Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(service, HttpMethod.Post, "/" + binding, token));
        }
        // Participant commands: a reservation, a payment, a delivery, an order created, and the
        // orchestrator's compensation on the cancel route order-service shares with customers.
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(_cluster.Inventory, HttpMethod.Post, "/reservations/o-intruder", token,
            Json(new { items = new[] { new { productId = "widget", quantity = 5, unitPrice = 10m } }, flow = "Orchestration" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(_cluster.Payment, HttpMethod.Post, "/payments/o-intruder", token,
            Json(new { customerId = "alice", amount = 50m, flow = "Orchestration" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(_cluster.Delivery, HttpMethod.Post, "/deliveries/o-intruder", token,
            Json(new { zone = "north", flow = "Orchestration" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(_cluster.Order, HttpMethod.Put, "/orders/o-intruder", token,
            Json(new { customerId = "alice", items = new[] { new { productId = "widget", quantity = 5, unitPrice = 10m } }, deliveryZone = "north" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(_cluster.Order, HttpMethod.Post, $"/orders/{id}/cancel", token,
            Json(new { reason = "PaymentCancelled" })));
        await _cluster.QuiesceAsync();

        Assert.Equal(before, _cluster.StateFingerprint());
        Assert.Equal(published, _cluster.Testbed.PubSub(Components.PubSub).Published(Topics.OrderPlaced).Count);
        Assert.Equal("Completed", (string?)(await _cluster.OrderAsync(id))["status"]);
    }

    [Fact]
    public async Task TheBindingProbeIsAnsweredWithoutTheToken()
    {
        foreach (var service in _cluster.Services)
        {
            foreach (var binding in service.Sidecar.Options.Bindings)
            {
                var probe = await SendAsync(service, HttpMethod.Options, "/" + binding, token: null);
                // dapr `pkg/runtime/processor/binding/send.go`: only 2xx or 405 enables the binding.
                Assert.True((int)probe is >= 200 and < 300 or 405, $"OPTIONS /{binding} on {service.AppId} answered {(int)probe}");
            }
        }
    }

    [Fact]
    public async Task CustomerEndpointsNeedNoToken()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await _cluster.QuiesceAsync();

        Assert.Equal(HttpStatusCode.OK, await SendAsync(_cluster.Order, HttpMethod.Get, $"/orders/{id}", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(_cluster.Order, HttpMethod.Get, "/orders", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(_cluster.Process, HttpMethod.Get, "/order-processes", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(_cluster.Inventory, HttpMethod.Get, "/products", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(_cluster.Delivery, HttpMethod.Get, "/couriers", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(_cluster.Payment, HttpMethod.Get, $"/payments/{id}", token: null));
        foreach (var service in _cluster.Services)
            Assert.Equal(HttpStatusCode.OK, await SendAsync(service, HttpMethod.Get, "/healthz", token: null));
        // The customer's cancel shares its route with a participant command, and needs no token.
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(_cluster.Order, HttpMethod.Post, $"/orders/{id}/cancel", token: null));
        await _cluster.QuiesceAsync();
        Assert.Equal("Cancelled", (string?)(await _cluster.OrderAsync(id))["status"]);
    }

    [Fact]
    public async Task AnAppsOwnTokenIsNotAnothersAndIsRefused()
    {
        var sweep = await SendAsync(_cluster.Inventory, HttpMethod.Post, "/" + Components.OutboxSweep, AppTokenOf(AppIds.PaymentService));

        Assert.Equal(HttpStatusCode.Unauthorized, sweep);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(_cluster.Inventory, HttpMethod.Post, "/" + Components.OutboxSweep, AppTokenOf(AppIds.InventoryService)));
    }

    private static JsonContent Json<T>(T body) => JsonContent.Create(body, options: ServiceDefaultsExtensions.JsonOptions);

    private static async Task<HttpStatusCode> SendAsync(ServiceUnderTest service, HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        if (token is not null) request.Headers.Add("dapr-api-token", token);
        using var response = await service.Http.SendAsync(request);
        return response.StatusCode;
    }
}
