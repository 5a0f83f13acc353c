using DaprSaga.ServiceDefaults;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// The caller check of participant commands, run as the README runs the system (both tokens) and
/// without tokens: a customer who reaches a participant's port directly is refused whatever
/// headers they send, and nothing changes; order-process-service, through its sidecar, is served.
/// </summary>
public sealed class ParticipantCommandCallerTests
{
    private const string WrongToken = "not-the-token";

    private static string AppTokenOf(string appId) => "app-token-of-" + appId;

    private static Task<SagaCluster> StartAsync(bool tokens) => SagaCluster.StartAsync(sidecarOptions: tokens
        ? o => o with { AppApiToken = AppTokenOf(o.AppId), DaprApiToken = "dapr-token-of-" + o.AppId }
        : null);

    /// <summary>Every participant command, with a body it would accept from the orchestrator.</summary>
    private static IEnumerable<(Func<SagaCluster, ServiceUnderTest> Service, HttpMethod Method, string Path, object Body)> Commands(string id, string newId) =>
    [
        (c => c.Order, HttpMethod.Put, $"/orders/{newId}", new { customerId = "alice", items = new[] { new { productId = "widget", quantity = 1, unitPrice = 10.00m } }, deliveryZone = "north" }),
        (c => c.Order, HttpMethod.Post, $"/orders/{id}/confirm", new { }),
        (c => c.Order, HttpMethod.Post, $"/orders/{id}/complete", new { }),
        (c => c.Order, HttpMethod.Post, $"/orders/{id}/cancel", new { reason = "PaymentCancelled" }),
        (c => c.Inventory, HttpMethod.Post, $"/reservations/{newId}", new { items = new[] { new { productId = "widget", quantity = 1, unitPrice = 10.00m } }, flow = "Orchestration" }),
        (c => c.Inventory, HttpMethod.Post, $"/reservations/{id}/release", new { }),
        (c => c.Inventory, HttpMethod.Post, $"/reservations/{id}/commit", new { }),
        (c => c.Payment, HttpMethod.Post, $"/payments/{newId}", new { customerId = "alice", amount = 10.00m, flow = "Orchestration" }),
        (c => c.Payment, HttpMethod.Post, $"/payments/{id}/void", new { }),
        (c => c.Delivery, HttpMethod.Post, $"/deliveries/{newId}", new { zone = "north", flow = "Orchestration" }),
        (c => c.Delivery, HttpMethod.Post, $"/deliveries/{id}/cancel", new { }),
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACustomerCannotRefundADeliveredOrderByVoidingItsPaymentDirectly(bool tokens)
    {
        await using var cluster = await StartAsync(tokens);
        var id = await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await cluster.QuiesceAsync();
        Assert.Equal("Completed", (string?)(await cluster.OrderAsync(id))["status"]);

        // What the customer did: POST /payments/{id}/void with {} on payment-service's own port.
        using var voided = await cluster.Payment.Http.PostAsJsonAsync(new Uri($"/payments/{id}/void", UriKind.Relative), new { });
        await cluster.QuiesceAsync();

        Assert.Equal(tokens ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden, voided.StatusCode);
        Assert.Equal("Confirmed", (string?)(await cluster.PaymentAsync(id))["status"]);
        Assert.Equal(9990.00m, (decimal)(await cluster.CustomerAsync("alice"))["credit"]!);
        Assert.Empty(cluster.Testbed.PubSub(Components.PubSub).Published(Topics.PaymentRefunded));
        Assert.Equal("Completed", (string?)(await cluster.OrderAsync(id))["status"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EveryParticipantCommandRefusesADirectCustomerCallAndChangesNothing(bool tokens)
    {
        await using var cluster = await StartAsync(tokens);
        var id = await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await cluster.QuiesceAsync();
        var before = cluster.StateFingerprint();
        var published = PublishedCount(cluster);

        // (caller header, dapr-api-token, expected): no header, another app, and with tokens on a
        // correct caller header that did not come through the sidecar (no token, a wrong one).
        var attempts = new List<(string? Caller, Func<string, string?> Token, HttpStatusCode Expected)>
        {
            (null, _ => null, tokens ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden),
            (AppIds.OrderService, _ => null, tokens ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden),
            (AppIds.OrderService, AppTokenOf, HttpStatusCode.Forbidden),
            (null, AppTokenOf, HttpStatusCode.Forbidden),
        };
        if (tokens)
        {
            attempts.Add((AppIds.OrderProcessService, _ => null, HttpStatusCode.Unauthorized));
            attempts.Add((AppIds.OrderProcessService, _ => WrongToken, HttpStatusCode.Unauthorized));
        }
        else
        {
            // Without APP_API_TOKEN there is nothing to check a token against: a token is no pass.
            attempts.Add((null, _ => WrongToken, HttpStatusCode.Forbidden));
        }

        foreach (var (service, method, path, body) in Commands(id, "o-intruder"))
        {
            var target = service(cluster);
            foreach (var (caller, token, expected) in attempts)
            {
                using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative))
                {
                    Content = JsonContent.Create(body, options: ServiceDefaultsExtensions.JsonOptions),
                };
                if (caller is not null) request.Headers.Add(ParticipantCommands.CallerHeader, caller);
                if (token(target.AppId) is { } value) request.Headers.Add("dapr-api-token", value);

                using var response = await target.Http.SendAsync(request);

                Assert.True(expected == response.StatusCode,
                    $"{method} {target.AppId}{path} as {caller ?? "(no caller)"}: {(int)response.StatusCode}, expected {(int)expected}");
            }
        }
        await cluster.QuiesceAsync();

        Assert.Equal(before, cluster.StateFingerprint());
        Assert.Equal(published, PublishedCount(cluster));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheOrchestratorsCommandsThroughItsSidecarAreServedAndCompensate(bool tokens)
    {
        await using var cluster = await StartAsync(tokens);

        var completed = await cluster.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        var compensated = await cluster.StartProcessAsync("alice", "west", autoConfirmPayment: true, ("widget", 1, 10.00m));

        Assert.Equal("Completed", (string?)(await cluster.SettleProcessAsync(completed))["status"]);
        Assert.Equal("Cancelled", (string?)(await cluster.SettleProcessAsync(compensated))["status"]);
        await Expect.CompletedAsync(cluster, completed, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
        Assert.Equal("Refunded", (string?)(await cluster.PaymentAsync(compensated))["status"]);
        Assert.Equal("Released", (string?)(await cluster.ReservationAsync(compensated))["status"]);
        Assert.Equal("NoCourierAvailable", (string?)(await cluster.OrderAsync(compensated))["cancellationReason"]);
    }

    private static int PublishedCount(SagaCluster cluster) =>
        Topology.Publishes.Values.SelectMany(t => t).Distinct().Sum(t => cluster.Testbed.PubSub(Components.PubSub).Published(t).Count);
}
