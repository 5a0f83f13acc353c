using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Every outcome of the choreography saga, each asserting the final state in every service:
/// order status and reason, stock, credit, payment and delivery. Demo data: docs/architecture.md, Demo data.
/// </summary>
public sealed class ChoreographyScenarioTests : IAsyncLifetime
{
    private SagaCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SagaCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task AHappyOrderWithAutomaticPaymentCompletesWithStockCreditAndCourierUsedOnce()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await _cluster.QuiesceAsync();

        await Expect.CompletedAsync(_cluster, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task AHappyOrderWaitsForTheCustomersConfirmationThenCompletes()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "south", autoConfirmPayment: false, ("gadget", 1, 25.00m));
        await _cluster.QuiesceAsync();
        Assert.Equal("AwaitingPayment", (string?)(await _cluster.OrderAsync(id))["status"]);
        Assert.Equal("Pending", (string?)(await _cluster.PaymentAsync(id))["status"]);

        using var confirm = await _cluster.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        await _cluster.QuiesceAsync();

        await Expect.CompletedAsync(_cluster, id, customer: "alice", credit: 9975.00m, product: "gadget", onHand: 99, sold: 1, amount: 25.00m);
        Assert.StartsWith("c-south", (string?)(await _cluster.DeliveryAsync(id))["courierId"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOrderOfAProductOutOfStockIsCancelledWithNothingTaken()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("unobtainium", 1, 500.00m));
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "OutOfStock", customer: "alice", credit: 10000.00m, product: "unobtainium", onHand: 0);
        Assert.Equal("Rejected", (string?)(await _cluster.ReservationAsync(id))["status"]);
    }

    [Fact]
    public async Task AnOrderOfAnUnknownProductIsCancelled()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m), ("no-such-thing", 1, 1.00m));
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "UnknownProduct", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AnOrderAtAStalePriceIsCancelled()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 9.00m));
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "PriceChanged", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AnOrderOfAnUnknownCustomerIsCancelledAndItsStockReleased()
    {
        var id = await _cluster.PlaceOrderAsync("zed", "north", autoConfirmPayment: true, ("widget", 3, 10.00m));
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "UnknownCustomer", customer: null, credit: 0, product: "widget", onHand: 1000);
        Assert.Equal("Released", (string?)(await _cluster.ReservationAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWhoCancelsThePaymentGetsTheOrderCancelled()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await _cluster.QuiesceAsync();

        using var cancel = await _cluster.Payment.Http.PostAsync(new Uri($"/payments/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "PaymentCancelled", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Cancelled", (string?)(await _cluster.PaymentAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWhoCancelsTheOrderBeforePayingGetsEverythingUndone()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 4, 10.00m));
        await _cluster.QuiesceAsync();

        using var cancel = await _cluster.Order.Http.PostAsync(new Uri($"/orders/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "CustomerCancelled", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Cancelled", (string?)(await _cluster.PaymentAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWhoCancelsAfterPayingIsRefundedAndNoCourierStaysAssigned()
    {
        // Delivery is down, so the paid order waits in Confirmed while the customer cancels it.
        await _cluster.Delivery.StopAsync();
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Eventually.TrueAsync(async () => (string?)(await _cluster.OrderAsync(id))["status"] == "Confirmed");

        using var cancel = await _cluster.Order.Http.PostAsync(new Uri($"/orders/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await _cluster.Delivery.StartAsync();
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "CustomerCancelled", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Refunded", (string?)(await _cluster.PaymentAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWithoutEnoughCreditIsRefusedAndTheOrderCancelled()
    {
        var id = await _cluster.PlaceOrderAsync("bob", "north", autoConfirmPayment: false, ("gizmo", 1, 99.00m));
        await _cluster.QuiesceAsync();

        using var confirm = await _cluster.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, confirm.StatusCode);
        Assert.Equal("InsufficientCredit", (string?)(await confirm.Content.ReadFromJsonAsync<JsonObject>())!["reason"]);
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "InsufficientCredit", customer: "bob", credit: 50.00m, product: "gizmo", onHand: 3);
    }

    [Fact]
    public async Task AnAutomaticPaymentWithoutEnoughCreditCancelsTheOrder()
    {
        var id = await _cluster.PlaceOrderAsync("carol", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "InsufficientCredit", customer: "carol", credit: 0.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AnUnpaidOrderExpiresByThePaymentsClock()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await _cluster.QuiesceAsync();

        await _cluster.AdvanceAsync(TimeSpan.FromMinutes(14));
        Assert.Equal("AwaitingPayment", (string?)(await _cluster.OrderAsync(id))["status"]);
        await _cluster.Payment.RestartAsync(); // the expiry survives a restart: it is kept in state
        await _cluster.AdvanceAsync(TimeSpan.FromMinutes(1));

        await Expect.CancelledAsync(_cluster, id, "PaymentExpired", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AConfirmationAtTheExpiryInstantIsRefusedAsExpired()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await _cluster.QuiesceAsync();
        var expiresAt = DateTimeOffset.Parse((string)(await _cluster.PaymentAsync(id))["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        _cluster.Clock.SetUtcNow(expiresAt);

        using var confirm = await _cluster.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, confirm.StatusCode);
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "PaymentExpired", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AnOrderToAZoneWithoutCouriersIsRefundedReleasedAndCancelled()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "west", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "NoCourierAvailable", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Refunded", (string?)(await _cluster.PaymentAsync(id))["status"]);
        Assert.Equal("Failed", (string?)(await _cluster.DeliveryAsync(id))["status"]);
    }

    [Fact]
    public async Task ASagaStuckPastItsDeadlineIsCancelledAndUndoneOnceTheParticipantIsBack()
    {
        await _cluster.Payment.StopAsync();
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Eventually.TrueAsync(async () =>
            await SagaCluster.StatusOfAsync(_cluster.Inventory, $"/reservations/{id}") == HttpStatusCode.OK
            && (string?)(await _cluster.ReservationAsync(id))["status"] == "Reserved");

        _cluster.Clock.Advance(TimeSpan.FromMinutes(31));
        await _cluster.Order.Sidecar.TriggerBindingAsync(DaprSaga.Contracts.Components.OrderRecovery);
        await Eventually.TrueAsync(async () => (string?)(await _cluster.OrderAsync(id))["status"] == "Cancelled");
        await _cluster.Payment.StartAsync();
        await _cluster.QuiesceAsync();

        await Expect.CancelledAsync(_cluster, id, "SagaTimedOut", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AParticipantRestartedMidSagaPicksUpWhereItStopped()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 2, 10.00m));
        await _cluster.QuiesceAsync();
        foreach (var service in _cluster.Services) await service.RestartAsync();

        using var confirm = await _cluster.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        await _cluster.QuiesceAsync();

        await Expect.CompletedAsync(_cluster, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task ConfirmCancelAndExpiryRacingEndInOneConsistentOutcome()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await _cluster.QuiesceAsync();
        var expiresAt = DateTimeOffset.Parse((string)(await _cluster.PaymentAsync(id))["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        _cluster.Clock.SetUtcNow(expiresAt.AddMilliseconds(-1));

        var confirm = _cluster.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        var cancel = _cluster.Payment.Http.PostAsync(new Uri($"/payments/{id}/cancel", UriKind.Relative), null);
        var cancelOrder = _cluster.Order.Http.PostAsync(new Uri($"/orders/{id}/cancel", UriKind.Relative), null);
        _cluster.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var expire = _cluster.Payment.Sidecar.TriggerBindingAsync(DaprSaga.Contracts.Components.PaymentExpiry);
        await Task.WhenAll(confirm, cancel, cancelOrder, expire);
        await _cluster.TickAsync();

        var order = await _cluster.OrderAsync(id);
        var payment = await _cluster.PaymentAsync(id);
        var credit = (decimal)(await _cluster.CustomerAsync("alice"))["credit"]!;
        var widget = await _cluster.ProductAsync("widget");
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
