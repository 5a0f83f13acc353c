
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Every outcome of the choreography saga, each asserting the final state in every service:
/// order status and reason, stock, credit, payment and delivery. Demo data: docs/architecture.md, Demo data.
/// </summary>
public sealed class ChoreographyScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync())
{
    [Fact]
    public async Task AHappyOrderWithAutomaticPaymentCompletesWithStockCreditAndCourierUsedOnce()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Host.QuiesceAsync();

        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task AHappyOrderWaitsForTheCustomersConfirmationThenCompletes()
    {
        var id = await Host.PlaceOrderAsync("alice", "south", autoConfirmPayment: false, ("gadget", 1, 25.00m));
        await Host.QuiesceAsync();
        Assert.Equal("AwaitingPayment", (string?)(await Host.OrderAsync(id))["status"]);
        Assert.Equal("Pending", (string?)(await Host.PaymentAsync(id))["status"]);

        using var confirm = await Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        await Host.QuiesceAsync();

        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9975.00m, product: "gadget", onHand: 99, sold: 1, amount: 25.00m);
        Assert.StartsWith("c-south", (string?)(await Host.DeliveryAsync(id))["courierId"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOrderOfAProductOutOfStockIsCancelledWithNothingTaken()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("unobtainium", 1, 500.00m));
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "OutOfStock", customer: "alice", credit: 10000.00m, product: "unobtainium", onHand: 0);
        Assert.Equal("Rejected", (string?)(await Host.ReservationAsync(id))["status"]);
    }

    [Fact]
    public async Task AnOrderOfAnUnknownProductIsCancelled()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m), ("no-such-thing", 1, 1.00m));
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "UnknownProduct", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AnOrderAtAStalePriceIsCancelled()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 9.00m));
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "PriceChanged", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AnOrderOfAnUnknownCustomerIsCancelledAndItsStockReleased()
    {
        var id = await Host.PlaceOrderAsync("zed", "north", autoConfirmPayment: true, ("widget", 3, 10.00m));
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "UnknownCustomer", customer: null, credit: 0, product: "widget", onHand: 1000);
        Assert.Equal("Released", (string?)(await Host.ReservationAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWhoCancelsThePaymentGetsTheOrderCancelled()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();

        using var cancel = await Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "PaymentCancelled", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Cancelled", (string?)(await Host.PaymentAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWhoCancelsTheOrderBeforePayingGetsEverythingUndone()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 4, 10.00m));
        await Host.QuiesceAsync();

        using var cancel = await Host.Order.Http.PostAsync(new Uri($"/orders/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "CustomerCancelled", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Cancelled", (string?)(await Host.PaymentAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWhoCancelsAfterPayingIsRefundedAndNoCourierStaysAssigned()
    {
        // Delivery is down, so the paid order waits in Confirmed while the customer cancels it.
        await Host.Delivery.StopAsync();
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Eventually.TrueAsync(async () => (string?)(await Host.OrderAsync(id))["status"] == "Confirmed");

        using var cancel = await Host.Order.Http.PostAsync(new Uri($"/orders/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await Host.Delivery.StartAsync();
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "CustomerCancelled", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Refunded", (string?)(await Host.PaymentAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWithoutEnoughCreditIsRefusedAndTheOrderCancelled()
    {
        var id = await Host.PlaceOrderAsync("bob", "north", autoConfirmPayment: false, ("gizmo", 1, 99.00m));
        await Host.QuiesceAsync();

        using var confirm = await Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, confirm.StatusCode);
        Assert.Equal("InsufficientCredit", (string?)(await confirm.Content.ReadFromJsonAsync<JsonObject>())!["reason"]);
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "InsufficientCredit", customer: "bob", credit: 50.00m, product: "gizmo", onHand: 3);
    }

    [Fact]
    public async Task AnAutomaticPaymentWithoutEnoughCreditCancelsTheOrder()
    {
        var id = await Host.PlaceOrderAsync("carol", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "InsufficientCredit", customer: "carol", credit: 0.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AnUnpaidOrderExpiresByThePaymentsClock()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();

        await Host.AdvanceAsync(TimeSpan.FromMinutes(14));
        Assert.Equal("AwaitingPayment", (string?)(await Host.OrderAsync(id))["status"]);
        await Host.Payment.RestartAsync(); // the expiry survives a restart: it is kept in state
        await Host.AdvanceAsync(TimeSpan.FromMinutes(1));

        await Expect.CancelledAsync(Host, id, "PaymentExpired", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AConfirmationAtTheExpiryInstantIsRefusedAsExpired()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();
        var expiresAt = DateTimeOffset.Parse((string)(await Host.PaymentAsync(id))["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Host.Clock.SetUtcNow(expiresAt);

        using var confirm = await Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, confirm.StatusCode);
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "PaymentExpired", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AnOrderToAZoneWithoutCouriersIsRefundedReleasedAndCancelled()
    {
        var id = await Host.PlaceOrderAsync("alice", "west", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "NoCourierAvailable", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Refunded", (string?)(await Host.PaymentAsync(id))["status"]);
        Assert.Equal("Failed", (string?)(await Host.DeliveryAsync(id))["status"]);
    }

    [Fact]
    public async Task ASagaStuckPastItsDeadlineIsCancelledAndUndoneOnceTheParticipantIsBack()
    {
        await Host.Payment.StopAsync();
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Eventually.TrueAsync(async () =>
            await SagaCluster.StatusOfAsync(Host.Inventory, $"/reservations/{id}") == HttpStatusCode.OK
            && (string?)(await Host.ReservationAsync(id))["status"] == "Reserved");

        Host.Clock.Advance(TimeSpan.FromMinutes(31));
        await Host.Order.Sidecar.TriggerBindingAsync(DaprSaga.Contracts.Components.OrderRecovery);
        await Eventually.TrueAsync(async () => (string?)(await Host.OrderAsync(id))["status"] == "Cancelled");
        await Host.Payment.StartAsync();
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "SagaTimedOut", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AParticipantRestartedMidSagaPicksUpWhereItStopped()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 2, 10.00m));
        await Host.QuiesceAsync();
        foreach (var service in Host.Services) await service.RestartAsync();

        using var confirm = await Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        await Host.QuiesceAsync();

        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task ConfirmCancelAndExpiryRacingEndInOneConsistentOutcome()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();
        var expiresAt = DateTimeOffset.Parse((string)(await Host.PaymentAsync(id))["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Host.Clock.SetUtcNow(expiresAt.AddMilliseconds(-1));

        var confirm = Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        var cancel = Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/cancel", UriKind.Relative), null);
        var cancelOrder = Host.Order.Http.PostAsync(new Uri($"/orders/{id}/cancel", UriKind.Relative), null);
        Host.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var expire = Host.Payment.Sidecar.TriggerBindingAsync(DaprSaga.Contracts.Components.PaymentExpiry);
        await Task.WhenAll(confirm, cancel, cancelOrder, expire);
        await Host.TickAsync();

        var order = await Host.OrderAsync(id);
        var payment = await Host.PaymentAsync(id);
        var credit = (decimal)(await Host.CustomerAsync("alice"))["credit"]!;
        var widget = await Host.ProductAsync("widget");
        // Whoever won, every service agrees: either paid and delivered, or nothing kept.
        if ((string?)order["status"] == "Completed")
        {
            Assert.Equal(("Confirmed", 9990.00m, 1), ((string?)payment["status"], credit, (int)widget["sold"]!));
        }
        else
        {
            Assert.Equal("Cancelled", (string?)order["status"]);
            Assert.Contains((string?)payment["status"], new[] { "Cancelled", "Refunded" });
            Assert.Equal((10000.00m, 1000, 0, 0), (credit, (int)widget["onHand"]!, (int)widget["reserved"]!, (int)widget["sold"]!));
        }
        foreach (var response in new[] { confirm, cancel, cancelOrder }) (await response).Dispose();
    }
}
