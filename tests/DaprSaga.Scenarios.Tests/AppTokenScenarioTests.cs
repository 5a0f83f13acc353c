using DaprSaga.ServiceDefaults;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Every sidecar with APP_API_TOKEN and DAPR_API_TOKEN (each app's own, read from its
/// configuration): sagas of both flows still complete, because daprd sends the app token on
/// deliveries, bindings, subscription reads and invocations; a direct call to a Dapr-facing
/// endpoint without it, or with a wrong one, is 401 and changes nothing; the bindings' OPTIONS
/// probe and the customer endpoints need no token.
/// </summary>
public sealed class AppTokenScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync(
    sidecarOptions: o => o with { AppApiToken = AppTokenOf(o.AppId), DaprApiToken = "dapr-token-of-" + o.AppId }))
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static string AppTokenOf(string appId) => "app-token-of-" + appId;

    [Fact]
    public void EveryAppReadsItsSubscriptionsThroughItsSidecarWithTheToken()
    {
        foreach (var service in Host.Services)
        {
            Assert.Equal(
                Topology.Subscribes[service.AppId].Order(StringComparer.Ordinal),
                service.Sidecar.Subscriptions.Select(s => s.Topic).Where(t => t != Topics.DeadLetters(service.AppId)).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task AChoreographedSagaCompletesWithTheCustomersConfirmation()
    {
        var id = await Host.PlaceOrderAsync("alice", "south", autoConfirmPayment: false, ("gadget", 1, 25.00m));
        await Host.QuiesceAsync();
        Assert.Equal("AwaitingPayment", (string?)(await Host.OrderAsync(id))["status"]);

        // A customer endpoint: no token.
        Assert.Equal(HttpStatusCode.OK, await Host.ActAsync(CustomerAction.ConfirmPayment, id));
        await Host.QuiesceAsync();

        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9975.00m, product: "gadget", onHand: 99, sold: 1, amount: 25.00m);
    }

    [Fact]
    public async Task AnOrchestratedSagaCompletesThroughInvocationsCarryingTheToken()
    {
        var id = await Host.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));

        var process = await Host.SettleProcessAsync(id);

        Assert.Equal("Completed", (string?)process["status"]);
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task EveryCronBindingIsEnabledByItsProbeAndFiresWithTheToken()
    {
        foreach (var service in Host.Services)
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
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();
        var before = Host.StateFingerprint();
        var published = Host.Testbed.PubSub(Components.PubSub).Published(Topics.OrderPlaced).Count;
        var orderPlaced = new OrderPlaced("o-intruder", SagaFlow.Choreography, "alice", [new OrderLine("widget", 5, 10m)], 50m, "north", true, At);

        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Host.Inventory, HttpMethod.Post, "/events/" + Topics.OrderPlaced, token, Json(orderPlaced)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Host.Inventory, HttpMethod.Get, "/dapr/subscribe", token));
        foreach (var service in Host.Services)
        {
            foreach (var binding in service.Sidecar.Options.Bindings)
                Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(service, HttpMethod.Post, "/" + binding, token));
        }
        // Participant commands: a reservation, a payment, a delivery, an order created, and the
        // orchestrator's compensation on the cancel route order-service shares with customers.
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Host.Inventory, HttpMethod.Post, "/reservations/o-intruder", token,
            Json(new { items = new[] { new { productId = "widget", quantity = 5, unitPrice = 10m } }, flow = "Orchestration" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Host.Payment, HttpMethod.Post, "/payments/o-intruder", token,
            Json(new { customerId = "alice", amount = 50m, flow = "Orchestration" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Host.Delivery, HttpMethod.Post, "/deliveries/o-intruder", token,
            Json(new { zone = "north", flow = "Orchestration" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Host.Order, HttpMethod.Put, "/orders/o-intruder", token,
            Json(new { customerId = "alice", items = new[] { new { productId = "widget", quantity = 5, unitPrice = 10m } }, deliveryZone = "north" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(Host.Order, HttpMethod.Post, $"/orders/{id}/cancel", token,
            Json(new { reason = "PaymentCancelled" })));
        await Host.QuiesceAsync();

        Assert.Equal(before, Host.StateFingerprint());
        Assert.Equal(published, Host.Testbed.PubSub(Components.PubSub).Published(Topics.OrderPlaced).Count);
        Assert.Equal("Completed", (string?)(await Host.OrderAsync(id))["status"]);
    }

    [Fact]
    public async Task TheBindingProbeIsAnsweredWithoutTheToken()
    {
        foreach (var service in Host.Services)
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
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();

        Assert.Equal(HttpStatusCode.OK, await SendAsync(Host.Order, HttpMethod.Get, $"/orders/{id}", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(Host.Order, HttpMethod.Get, "/orders", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(Host.Process, HttpMethod.Get, "/order-processes", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(Host.Inventory, HttpMethod.Get, "/products", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(Host.Delivery, HttpMethod.Get, "/couriers", token: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(Host.Payment, HttpMethod.Get, $"/payments/{id}", token: null));
        foreach (var service in Host.Services)
            Assert.Equal(HttpStatusCode.OK, await SendAsync(service, HttpMethod.Get, "/healthz", token: null));
        // The customer's cancel shares its route with a participant command, and needs no token.
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(Host.Order, HttpMethod.Post, $"/orders/{id}/cancel", token: null));
        await Host.QuiesceAsync();
        Assert.Equal("Cancelled", (string?)(await Host.OrderAsync(id))["status"]);
    }

    [Fact]
    public async Task AnAppsOwnTokenIsNotAnothersAndIsRefused()
    {
        var sweep = await SendAsync(Host.Inventory, HttpMethod.Post, "/" + Components.OutboxSweep, AppTokenOf(AppIds.PaymentService));

        Assert.Equal(HttpStatusCode.Unauthorized, sweep);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(Host.Inventory, HttpMethod.Post, "/" + Components.OutboxSweep, AppTokenOf(AppIds.InventoryService)));
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
