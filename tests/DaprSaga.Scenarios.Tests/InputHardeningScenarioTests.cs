using System.Text;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Hostile input on every public endpoint of every service: 400 naming the field (413 for an
/// oversized body), and nothing stored or published anywhere.
/// </summary>
public sealed class InputHardeningScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync())
{
    private static readonly string[] BadIds = ["a||b", "", " ", "bad id", "tab\tid", "new\nline", new string('x', 65), "ü"];

    private static object Order(string customerId = "alice", string zone = "north", int quantity = 1, decimal unitPrice = 10.00m, string productId = "widget") =>
        new { customerId, items = new[] { new { productId, quantity, unitPrice } }, deliveryZone = zone, autoConfirmPayment = true };

    [Theory]
    [InlineData("/orders")]
    [InlineData("/order-processes")]
    public async Task AnOrderWithHostileFieldsIs400NamingEachAndStoresNothing(string path)
    {
        var service = path == "/orders" ? Host.Order : Host.Process;
        var cases = new (object Body, string Field)[]
        {
            (Order(quantity: 1001), "items[0].quantity"),
            (Order(quantity: 0), "items[0].quantity"),
            (Order(unitPrice: 1_000_000.01m), "items[0].unitPrice"),
            (Order(unitPrice: 10.001m), "items[0].unitPrice"),
            (Order(unitPrice: -1m), "items[0].unitPrice"),
            (Order(customerId: "a||b"), "customerId"),
            (Order(customerId: "tab\tid"), "customerId"),
            (Order(customerId: new string('x', 65)), "customerId"),
            (Order(customerId: " "), "customerId"),
            (Order(productId: "w||x"), "items[0].productId"),
            (Order(zone: "no||rth"), "deliveryZone"),
            (Order(zone: "nor\u0001th"), "deliveryZone"),
            (Order(zone: new string('z', 33)), "deliveryZone"),
            (Order(zone: "   "), "deliveryZone"),
        };
        var before = Host.StateFingerprint();

        foreach (var (body, field) in cases)
            await AssertBadRequestAsync(await service.Http.PostAsJsonAsync(new Uri(path, UriKind.Relative), body), field, $"{path} {field}");

        await Host.QuiesceAsync();
        Assert.Equal(before, Host.StateFingerprint());
        Assert.Empty(Host.Testbed.PubSub(Components.PubSub).Published(Topics.OrderPlaced));
    }

    [Theory]
    [InlineData("/orders")]
    [InlineData("/order-processes")]
    public async Task NumbersTooLargeForTheirTypeAndNullLinesAre400NamingTheField(string path)
    {
        var service = path == "/orders" ? Host.Order : Host.Process;
        var before = Host.StateFingerprint();

        await AssertBadRequestAsync(await PostRawAsync(service, path,
            """{"customerId":"alice","items":[{"productId":"widget","quantity":99999999999999999999,"unitPrice":10}],"deliveryZone":"north"}"""),
            "items[0].quantity", "quantity past int");
        await AssertBadRequestAsync(await PostRawAsync(service, path,
            """{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":1e40}],"deliveryZone":"north"}"""),
            "items[0].unitPrice", "price past decimal");
        await AssertBadRequestAsync(await PostRawAsync(service, path,
            """{"customerId":"alice","items":[null],"deliveryZone":"north"}"""),
            "items[0]", "a null line");
        await AssertBadRequestAsync(await PostRawAsync(service, path, """[1,2,3]"""), "body", "not an object");
        await AssertBadRequestAsync(await PostRawAsync(service, path,
            """{"items":[{"productId":"widget","quantity":1,"unitPrice":10}],"deliveryZone":"north"}"""),
            "customerId", "a missing field");

        await Host.QuiesceAsync();
        Assert.Equal(before, Host.StateFingerprint());
    }

    [Fact]
    public async Task FiftyLinesAtTheLimitsAreAcceptedWithoutOverflow()
    {
        var items = Enumerable.Range(0, 50).Select(i => new { productId = $"p-{i}", quantity = 1000, unitPrice = 1_000_000m }).ToList();

        using var response = await Host.Order.Http.PostAsJsonAsync(new Uri("/orders", UriKind.Relative),
            new { customerId = "alice", items, deliveryZone = "north", autoConfirmPayment = true });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["orderId"]!;
        await Host.QuiesceAsync();

        var order = await Host.OrderAsync(id);
        Assert.Equal(50_000_000_000m, (decimal)order["total"]!);
        // Products p-0..p-49 do not exist: the saga refuses it cleanly.
        Assert.Equal(("Cancelled", "UnknownProduct"), ((string?)order["status"], (string?)order["cancellationReason"]));
    }

    // GET /orders's filters are checked in OrderService.Tests (ListingOrdersTests).
    [Theory]
    [InlineData("/order-processes?status=Lost", "status")]
    [InlineData("/order-processes?status=1", "status")]
    public async Task AnUnknownEnumValueInAQueryStringIs400NamingTheField(string pathAndQuery, string field) =>
        await AssertBadRequestAsync(await Host.Process.Http.GetAsync(new Uri(pathAndQuery, UriKind.Relative)), field, pathAndQuery);

    [Fact]
    public async Task BadIdsInPathsAre400NamingTheField()
    {
        foreach (var bad in BadIds.Where(b => b.Length > 0))
        {
            var id = Uri.EscapeDataString(bad);
            await AssertBadRequestAsync(await Host.Order.Http.GetAsync(new Uri($"/orders/{id}", UriKind.Relative)), "orderId", $"order {bad}");
            await AssertBadRequestAsync(await Host.Process.Http.GetAsync(new Uri($"/order-processes/{id}", UriKind.Relative)), "orderId", $"process {bad}");
            await AssertBadRequestAsync(await Host.Inventory.Http.GetAsync(new Uri($"/products/{id}", UriKind.Relative)), "productId", $"product {bad}");
            await AssertBadRequestAsync(await Host.Delivery.Http.GetAsync(new Uri($"/couriers/{id}", UriKind.Relative)), "courierId", $"courier {bad}");
        }
    }

    [Fact]
    public async Task ResourcesWithHostileFieldsAre400NamingEachAndStoreNothing()
    {
        var before = Host.StateFingerprint();

        await AssertBadRequestAsync(await PutAsync(Host.Inventory, "/products/widget", new { name = "Widget", price = 1_000_000.01m, onHand = 5 }), "price", "price");
        await AssertBadRequestAsync(await PutAsync(Host.Inventory, "/products/widget", new { name = "Wid\u0000get", price = 1m, onHand = 5 }), "name", "name");
        await AssertBadRequestAsync(await PutAsync(Host.Inventory, "/products/w||x", new { name = "W", price = 1m, onHand = 5 }), "productId", "product id");
        await AssertBadRequestAsync(await PutRawAsync(Host.Inventory, "/products/widget", """{"name":"W","price":1,"onHand":99999999999}"""), "onHand", "stock past int");
        await AssertBadRequestAsync(await PutAsync(Host.Delivery, "/couriers/c-x", new { name = "X", zone = "no||rth", capacity = 1 }), "zone", "zone");
        await AssertBadRequestAsync(await PutAsync(Host.Delivery, "/couriers/c-x", new { name = "X\u001b", zone = "north", capacity = 1 }), "name", "courier name");
        await AssertBadRequestAsync(await PutRawAsync(Host.Delivery, "/couriers/c-x", """{"name":"X","zone":"north","capacity":"lots"}"""), "capacity", "capacity type");
        await AssertBadRequestAsync(await Host.Payment.Http.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), new { name = "Eve\u0007", credit = 10m }), "name", "customer name");
        await AssertBadRequestAsync(await Host.Payment.Http.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), new { name = "Eve", credit = 1_000_000.001m }), "credit", "credit");

        await Host.QuiesceAsync();
        Assert.Equal(before, Host.StateFingerprint());
    }

    [Fact]
    public async Task ParticipantCommandsRefuseUnknownFlowsHugeAmountsAndBadIds()
    {
        var before = Host.StateFingerprint();

        await AssertBadRequestAsync(await AsOrchestratorAsync(Host.Inventory, "/reservations/o-1",
            new { items = new[] { new { productId = "widget", quantity = 1, unitPrice = 10m } }, flow = "Sideways" }), "flow", "reservation flow");
        await AssertBadRequestAsync(await AsOrchestratorAsync(Host.Inventory, "/reservations/o-1",
            new { items = new[] { new { productId = "widget", quantity = 1001, unitPrice = 10m } }, flow = "Orchestration" }), "items[0].quantity", "reservation quantity");
        await AssertBadRequestAsync(await AsOrchestratorAsync(Host.Payment, "/payments/o-1",
            new { customerId = "alice", amount = 50_000_000_000.01m, flow = "Orchestration" }), "amount", "payment amount");
        await AssertBadRequestAsync(await AsOrchestratorAsync(Host.Payment, "/payments/o-1",
            new { customerId = "alice", amount = 10m, flow = "Sideways" }), "flow", "payment flow");
        await AssertBadRequestAsync(await AsOrchestratorAsync(Host.Delivery, "/deliveries/o-1",
            new { zone = "north", flow = "Sideways" }), "flow", "delivery flow");
        await AssertBadRequestAsync(await AsOrchestratorAsync(Host.Delivery, $"/deliveries/{Uri.EscapeDataString("o||1")}",
            new { zone = "north", flow = "Orchestration" }), "orderId", "delivery id");
        await AssertBadRequestAsync(await AsOrchestratorAsync(Host.Order, "/orders/o-1/cancel", new { reason = "Boredom" }), "reason", "cancel reason");

        await Host.QuiesceAsync();
        Assert.Equal(before, Host.StateFingerprint());
    }

    [Fact]
    public async Task AnOversizedBodyIs413OnEveryServiceAndStoresNothing()
    {
        var before = Host.StateFingerprint();
        var padding = new string('x', RequestBodyLimit.MaxBytes);
        var oversized = $$"""{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":10}],"deliveryZone":"north","padding":"{{padding}}"}""";

        foreach (var (service, path) in new[] { (Host.Order, "/orders"), (Host.Process, "/order-processes"), (Host.Payment, "/customers"), (Host.Inventory, "/reservations/o-1") })
        {
            using var response = await PostRawAsync(service, path, oversized);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        using var put = await PutRawAsync(Host.Inventory, "/products/widget", oversized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);

        await Host.QuiesceAsync();
        Assert.Equal(before, Host.StateFingerprint());
    }

    private static async Task AssertBadRequestAsync(HttpResponseMessage response, string field, string because)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{because}: {(int)response.StatusCode} {text}");
            var errors = JsonNode.Parse(text)!["errors"]!.AsObject();
            Assert.True(errors.ContainsKey(field), $"{because}: errors name {string.Join(", ", errors.Select(e => e.Key))}, not {field}");
        }
    }

    private static Task<HttpResponseMessage> PostJsonAsync(ServiceUnderTest service, string path, object body) =>
        service.Http.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);

    /// <summary>A participant command as order-process-service's sidecar delivers it (naming its caller).</summary>
    private static async Task<HttpResponseMessage> AsOrchestratorAsync(ServiceUnderTest service, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
        request.Headers.Add(ParticipantCommands.CallerHeader, AppIds.OrderProcessService);
        return await service.Http.SendAsync(request);
    }

    private static Task<HttpResponseMessage> PutAsync(ServiceUnderTest service, string path, object body) =>
        service.Http.PutAsJsonAsync(new Uri(path, UriKind.Relative), body);

    private static Task<HttpResponseMessage> PostRawAsync(ServiceUnderTest service, string path, string json) =>
        service.Http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

    private static Task<HttpResponseMessage> PutRawAsync(ServiceUnderTest service, string path, string json) =>
        service.Http.PutAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
}
