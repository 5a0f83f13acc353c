using System.Text;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// The outbox through a real service: order-service writes the order with its pending
/// order-placed event, the publish fails, nothing reaches the broker, and the outbox-sweep cron
/// binding publishes it later, so the saga runs to the end.
/// </summary>
public sealed class PublishAfterStateWriteTests
{
    [Fact]
    public async Task APublishThatFailsAfterTheStateWriteIsSentByTheOutboxSweep()
    {
        await using var cluster = await SagaCluster.StartAsync(new FaultPlan(seed: 5));
        var orderPlaced = cluster.Testbed.PubSub(Components.PubSub);
        cluster.Testbed.Faults.With(FaultKind.PublishError, 1.0);

        using var place = new HttpRequestMessage(HttpMethod.Post, new Uri("/orders", UriKind.Relative))
        {
            Content = JsonContent.Create(new
            {
                customerId = "alice",
                items = new[] { new { productId = "widget", quantity = 2, unitPrice = 10.00m } },
                deliveryZone = "north",
                autoConfirmPayment = true,
            }),
        };
        place.Headers.Add("Idempotency-Key", "publish-fails-once");
        using var failed = await cluster.Order.Http.SendAsync(place);

        // The publish came after the write: the caller saw the failure, the order is stored with
        // its event still pending, and the broker has nothing.
        Assert.True((int)failed.StatusCode >= 500, $"POST /orders answered {(int)failed.StatusCode}");
        var stored = Assert.Single(StoredOrders(cluster));
        var orderId = (string)stored["orderId"]!;
        Assert.Equal("Pending", (string?)stored["status"]);
        var pending = Assert.Single(stored["outbox"]!.AsArray());
        Assert.Contains(Topics.OrderPlaced, pending!.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(orderPlaced.Published(Topics.OrderPlaced));
        Assert.Equal("Pending", (string?)(await cluster.OrderAsync(orderId))["status"]);

        // The sidecar recovers; the cron binding's sweep sends what the failed request left.
        cluster.Testbed.Faults.With(FaultKind.PublishError, 0);
        await cluster.Order.Sidecar.TriggerBindingAsync(Components.OutboxSweep);
        await cluster.QuiesceAsync();

        var published = Assert.Single(orderPlaced.Published(Topics.OrderPlaced));
        Assert.Equal(orderId, (string?)published.Envelope["data"]!["orderId"]);
        Assert.Empty(Assert.Single(StoredOrders(cluster))["outbox"]!.AsArray());
        Assert.True(cluster.Testbed.Faults.Injected[FaultKind.PublishError] >= 1);
        await Expect.CompletedAsync(cluster, orderId, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);

        // A second sweep finds nothing left to send.
        await cluster.Order.Sidecar.TriggerBindingAsync(Components.OutboxSweep);
        await cluster.QuiesceAsync();
        Assert.Single(orderPlaced.Published(Topics.OrderPlaced));
    }

    /// <summary>The order records in order-store, read straight from the store (what order-service wrote, outbox included).</summary>
    private static List<JsonObject> StoredOrders(SagaCluster cluster) =>
        cluster.Testbed.StateStore(Components.OrderStore).Snapshot()
            .Where(kv => kv.Key.Contains("||order-", StringComparison.Ordinal))
            .Select(kv => JsonNode.Parse(Encoding.UTF8.GetString(kv.Value))!.AsObject())
            .ToList();
}
