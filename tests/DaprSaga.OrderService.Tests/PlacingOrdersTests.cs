using DaprSaga.OrderService.Orders;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http;

namespace DaprSaga.OrderService.Tests;

public sealed class PlacingOrdersTests : ServiceTest
{
    [Fact]
    public void TheSidecarSubscribesExactlyTheTopologyWithTheAppsOwnDeadLetterTopic() => ServiceAssert.SubscribesToItsTopology(Host.Sidecar);

    [Fact]
    public async Task PlacingAnOrderStoresItPendingAndPublishesOrderPlaced()
    {
        using var response = await Host.Http.PostAsJsonAsync("/orders", new
        {
            customerId = "alice",
            items = new[] { new { productId = "widget", quantity = 2, unitPrice = 10.00m }, new { productId = "gadget", quantity = 1, unitPrice = 25.00m } },
            deliveryZone = "north",
            autoConfirmPayment = true,
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<OrderAccepted>(ServiceDefaultsExtensions.JsonOptions))!;
        Assert.Equal((OrderStatus.Pending, SagaFlow.Choreography), (accepted.Status, accepted.Flow));
        Assert.Equal($"/orders/{accepted.OrderId}", response.Headers.Location?.ToString());

        var order = await Host.GetAsync(accepted.OrderId);
        Assert.Equal((45.00m, OrderStatus.Pending, "north", Host.Now), (order.Total, order.Status, order.DeliveryZone, order.CreatedAt));

        var placed = Assert.Single(Host.Published(Topics.OrderPlaced));
        Assert.Equal("order-placed.v1", (string?)placed.Envelope["type"]);
        Assert.Equal(AppIds.OrderService, (string?)placed.Envelope["source"]);
        var data = Host.PublishedData(Topics.OrderPlaced).Single();
        Assert.Equal(accepted.OrderId, data.GetProperty("orderId").GetString());
        Assert.Equal("Choreography", data.GetProperty("flow").GetString());
        Assert.Equal("alice", data.GetProperty("customerId").GetString());
        Assert.Equal(45.00m, data.GetProperty("total").GetDecimal());
        Assert.Equal("north", data.GetProperty("deliveryZone").GetString());
        Assert.True(data.GetProperty("autoConfirmPayment").GetBoolean());
        var lines = data.GetProperty("items").EnumerateArray()
            .Select(i => (i.GetProperty("productId").GetString(), i.GetProperty("quantity").GetInt32(), i.GetProperty("unitPrice").GetDecimal()));
        Assert.Equal([("widget", 2, 10.00m), ("gadget", 1, 25.00m)], lines);
    }

    [Fact]
    public async Task AutoConfirmPaymentIsOffUnlessAskedFor()
    {
        await Host.PlaceAsync();

        Assert.False(Host.PublishedData(Topics.OrderPlaced).Single().GetProperty("autoConfirmPayment").GetBoolean());
    }

    [Fact]
    public async Task ARetriedPostWithTheSameIdempotencyKeyReturnsTheSameOrder()
    {
        async Task<(HttpStatusCode, OrderAccepted?)> PostAsync(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = JsonContent.Create(OrderServiceHost.HappyOrder()) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await Host.Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadFromJsonAsync<OrderAccepted>(ServiceDefaultsExtensions.JsonOptions));
        }

        var (firstStatus, first) = await PostAsync("checkout-42");
        var (againStatus, again) = await PostAsync("checkout-42");
        var (_, other) = await PostAsync("checkout-43");

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (firstStatus, againStatus));
        Assert.Equal(first!.OrderId, again!.OrderId);
        Assert.NotEqual(first.OrderId, other!.OrderId);
        Assert.Equal(2, Host.Published(Topics.OrderPlaced).Count);
    }

    private async Task<HttpResponseMessage> PostWithKeyAsync(string key, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await Host.Http.SendAsync(request);
    }

    [Fact]
    public async Task AnIdempotencyKeyReusedForADifferentOrderIsRefusedWith422AndPlacesNothing()
    {
        using var first = await PostWithKeyAsync("checkout-7", OrderServiceHost.HappyOrder());
        using var reused = await PostWithKeyAsync("checkout-7", OrderServiceHost.HappyOrder("bob", "south"));

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.UnprocessableEntity), (first.StatusCode, reused.StatusCode));
        Assert.Equal("application/problem+json", reused.Content.Headers.ContentType?.MediaType);
        await Host.IdleAsync();
        Assert.Single(Host.Published(Topics.OrderPlaced));
    }

    [Fact]
    public async Task ConcurrentRetriesWithOneIdempotencyKeyPlaceOneOrder()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostWithKeyAsync("checkout-race", OrderServiceHost.HappyOrder())));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<OrderAccepted>(ServiceDefaultsExtensions.JsonOptions))!.OrderId));
        Assert.Single(ids.Distinct());
        await Host.IdleAsync();
        // Racing requests may each publish the pending order-placed (at least once); it is one order.
        Assert.Equal([ids[0]], Host.PublishedData(Topics.OrderPlaced).Select(d => d.GetProperty("orderId").GetString()).Distinct());
        foreach (var response in responses) response.Dispose();
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheCustomerEndpointsAndTheParticipantCommandsOnly()
    {
        using var document = System.Text.Json.JsonDocument.Parse(await Host.Http.GetStringAsync("/swagger/v1/swagger.json"));

        var operations = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o =>
                $"{o.Name.ToUpperInvariant()} {p.Name} [{string.Join(", ", o.Value.GetProperty("tags").EnumerateArray().Select(t => t.GetString()))}]"))
            .Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "GET /dead-letters [Dead letters]",
            "GET /dead-letters/{id} [Dead letters]",
            "GET /orders [Orders]",
            "GET /orders/{orderId} [Orders]",
            "GET /orders/{orderId}/timeline [Orders]",
            "POST /dead-letters/{id}/replay [Dead letters]",
            "POST /orders [Orders]",
            "POST /orders/{orderId}/cancel [Orders, Participant commands]",
            "POST /orders/{orderId}/complete [Participant commands]",
            "POST /orders/{orderId}/confirm [Participant commands]",
            "PUT /orders/{orderId} [Participant commands]",
        ], operations);
    }

    [Fact]
    public async Task AnUnknownOrderIsNotFound()
    {
        using var response = await Host.Http.GetAsync("/orders/no-such-order");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AnOrderPlacedWhileTheBrokerFailsIsPublishedByTheOutboxSweep()
    {
        Host.Faults.With(FaultKind.PublishError, 1.0);
        using var failed = await Host.Http.PostAsJsonAsync("/orders", OrderServiceHost.HappyOrder());
        Host.Faults.With(FaultKind.PublishError, 0.0);

        // The sidecar did not answer the publish: 503 with Retry-After, the order stored with its event.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.NotNull(failed.Headers.RetryAfter);
        Assert.Empty(Host.Published(Topics.OrderPlaced));

        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OutboxSweep));
        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OutboxSweep));

        var placed = Assert.Single(Host.Published(Topics.OrderPlaced));
        var orderId = (string)placed.Envelope["data"]!["orderId"]!;
        Assert.Equal(OrderStatus.Pending, (await Host.GetAsync(orderId)).Status);
    }
}
