using System.Text;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.OrderService.Tests;

/// <summary>One order-service for the whole class: refused input stores nothing, so tests cannot disturb each other.</summary>
public sealed class SharedOrderService : IAsyncLifetime
{
    public OrderServiceHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await OrderServiceHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class RefusingBadInputTests(SharedOrderService service) : IClassFixture<SharedOrderService>
{
    private OrderServiceHost Host => service.Host;

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"items":[{"productId":"widget","quantity":1,"unitPrice":10}],"deliveryZone":"north"}""", "customerId" },
        { """{"customerId":"a||b","items":[{"productId":"widget","quantity":1,"unitPrice":10}],"deliveryZone":"north"}""", "customerId" },
        { """{"customerId":"alice","items":[],"deliveryZone":"north"}""", "items" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":0,"unitPrice":10}],"deliveryZone":"north"}""", "items[0].quantity" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":1001,"unitPrice":10}],"deliveryZone":"north"}""", "items[0].quantity" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":"two","unitPrice":10}],"deliveryZone":"north"}""", "items[0].quantity" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":10.001}],"deliveryZone":"north"}""", "items[0].unitPrice" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":-1}],"deliveryZone":"north"}""", "items[0].unitPrice" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":1}],"deliveryZone":"north"}""", "items[0].unitPrice" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":10},{"productId":"widget","quantity":1,"unitPrice":10}],"deliveryZone":"north"}""", "items[1].productId" },
        { """{"customerId":"alice","items":[{"productId":"","quantity":1,"unitPrice":10}],"deliveryZone":"north"}""", "items[0].productId" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":10}],"deliveryZone":""}""", "deliveryZone" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":10}],"deliveryZone":"a-zone-name-longer-than-32-chars!"}""", "deliveryZone" },
        { """{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":10}],"deliveryZone":"north","autoConfirmPayment":"yes"}""", "autoConfirmPayment" },
        { "not json", "body" },
        { "null", "body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadInputIsRefusedWith400NamingTheFieldAndNothingIsStored(string body, string field)
    {
        using var response = await Host.Http.PostAsync("/orders", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertRefusedAsync(response, field);
    }

    [Fact]
    public async Task MoreThanFiftyLinesAreRefused()
    {
        var items = Enumerable.Range(0, 51).Select(i => new { productId = $"p-{i}", quantity = 1, unitPrice = 1m });

        using var response = await Host.Http.PostAsJsonAsync("/orders", new { customerId = "alice", items, deliveryZone = "north" });

        await AssertRefusedAsync(response, "items");
    }

    [Fact]
    public async Task AnInvalidIdempotencyKeyIsRefused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = JsonContent.Create(OrderServiceHost.HappyOrder()) };
        request.Headers.Add("Idempotency-Key", "a||b");

        using var response = await Host.Http.SendAsync(request);

        await AssertRefusedAsync(response, "Idempotency-Key");
    }

    public static TheoryData<string, string> BadCreateBodies()
    {
        var data = new TheoryData<string, string>();
        // PUT /orders/{id} has no autoConfirmPayment: the orchestrator confirms payments itself.
        foreach (var row in BadBodies.Where(r => (string)r[1] != "autoConfirmPayment")) data.Add((string)row[0], (string)row[1]);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadCreateBodies))]
    public async Task TheOrchestratorsCreateWithBadInputIsRefusedWith400NamingTheField(string body, string field)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/orders/o-1") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(ParticipantCommands.CallerHeader, AppIds.OrderProcessService);

        using var response = await Host.Http.SendAsync(request);

        await AssertRefusedAsync(response, field);
    }

    public static TheoryData<string, string, string?, string> BadCommands => new()
    {
        { "PUT /orders/bad.id", """{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":10}],"deliveryZone":"north"}""", AppIds.OrderProcessService, "orderId" },
        { "POST /orders/bad.id/confirm", "{}", AppIds.OrderProcessService, "orderId" },
        { "POST /orders/bad.id/complete", "{}", AppIds.OrderProcessService, "orderId" },
        { "POST /orders/bad.id/cancel", """{"reason":"OutOfStock"}""", null, "orderId" },
        { "POST /orders/o-1/cancel", """{"reason":"Bored"}""", null, "reason" },
        { "POST /orders/o-1/cancel", """{"reason":3}""", null, "reason" },
        { "POST /orders/o-1/cancel", "not json", null, "body" },
        { "POST /orders/o-1/cancel", "", AppIds.OrderProcessService, "reason" },
        { "POST /orders/o-1/cancel", "{}", AppIds.OrderProcessService, "reason" },
    };

    [Theory]
    [MemberData(nameof(BadCommands))]
    public async Task ACommandWithBadInputIsRefusedWith400NamingTheField(string route, string body, string? caller, string field)
    {
        var (method, path) = (route.Split(' ')[0], route.Split(' ')[1]);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (caller is not null) request.Headers.Add("dapr-caller-app-id", caller);

        using var response = await Host.Http.SendAsync(request);

        await AssertRefusedAsync(response, field);
    }

    private async Task AssertRefusedAsync(HttpResponseMessage response, string field)
    {
        await ValidationProblems.AssertNamesFieldAsync(response, field);
        Assert.DoesNotContain(Host.Testbed.StateStore(Components.OrderStore).Snapshot().Keys, k => k.Contains("||order-", StringComparison.Ordinal));
        Assert.Empty(Host.Published(Topics.OrderPlaced));
    }
}
