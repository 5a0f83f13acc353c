
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Every outcome of the choreography saga, each asserting the final state in every service:
/// order status and reason, stock, credit, payment and delivery. Demo data: docs/architecture.md, Demo data.
/// </summary>
public sealed class ChoreographyScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync())
{
    /// <summary>Places an order, then waits until every service is quiet: where most scenarios here start.</summary>
    private async Task<string> PlaceAndQuiesceAsync(
        string customerId, string zone, bool autoConfirmPayment, params (string ProductId, int Quantity, decimal UnitPrice)[] items)
    {
        var id = await Host.PlaceOrderAsync(customerId, zone, autoConfirmPayment, items);
        await Host.QuiesceAsync();
        return id;
    }

    [Fact]
    public async Task AHappyOrderWithAutomaticPaymentCompletesWithStockCreditAndCourierUsedOnce()
    {
        var id = await PlaceAndQuiesceAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));

        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task AHappyOrderWaitsForTheCustomersConfirmationThenCompletes()
    {
        var id = await PlaceAndQuiesceAsync("alice", "south", autoConfirmPayment: false, ("gadget", 1, 25.00m));
        Assert.Equal("AwaitingPayment", (string?)(await Host.OrderAsync(id))["status"]);
        Assert.Equal("Pending", (string?)(await Host.PaymentAsync(id))["status"]);

        Assert.Equal(HttpStatusCode.OK, await Host.ActAsync(CustomerAction.ConfirmPayment, id));
        await Host.QuiesceAsync();

        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9975.00m, product: "gadget", onHand: 99, sold: 1, amount: 25.00m);
        Assert.StartsWith("c-south", (string?)(await Host.DeliveryAsync(id))["courierId"], StringComparison.Ordinal);
    }

    /// <summary>
    /// Orders a participant refuses on its own (payment confirmed automatically): each is cancelled with
    /// nothing kept, and leaves the reservation, payment and delivery it names (null: no more than Expect.CancelledAsync checks) in that state.
    /// </summary>
    public static TheoryData<string, string, string, (string, int, decimal)[], decimal, string, int, string?, string?, string?> Refusals => new()
    {
        // reason, customer, zone, items; credit, product and its stock after; then reservation, payment, delivery
        { "OutOfStock", "alice", "north", [("unobtainium", 1, 500.00m)], 10000.00m, "unobtainium", 0, "Rejected", null, null },
        { "UnknownProduct", "alice", "north", [("widget", 1, 10.00m), ("no-such-thing", 1, 1.00m)], 10000.00m, "widget", 1000, null, null, null },
        { "PriceChanged", "alice", "north", [("widget", 2, 9.00m)], 10000.00m, "widget", 1000, null, null, null },
        { "UnknownCustomer", "zed", "north", [("widget", 3, 10.00m)], 0, "widget", 1000, "Released", null, null },
        { "InsufficientCredit", "carol", "north", [("widget", 1, 10.00m)], 0.00m, "widget", 1000, null, null, null },
        { "NoCourierAvailable", "alice", "west", [("widget", 2, 10.00m)], 10000.00m, "widget", 1000, null, "Refunded", "Failed" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task AnOrderAParticipantRefusesIsCancelledWithNothingKept(
        string reason, string customer, string zone, (string, int, decimal)[] items, decimal credit, string product, int onHand,
        string? reservation, string? payment, string? delivery)
    {
        var id = await PlaceAndQuiesceAsync(customer, zone, autoConfirmPayment: true, items);

        await Expect.CancelledAsync(Host, id, reason, customer == "zed" ? null : customer, credit, product, onHand);
        if (reservation is not null) Assert.Equal(reservation, (string?)(await Host.ReservationAsync(id))["status"]);
        if (payment is not null) Assert.Equal(payment, (string?)(await Host.PaymentAsync(id))["status"]);
        if (delivery is not null) Assert.Equal(delivery, (string?)(await Host.DeliveryAsync(id))["status"]);
    }

    /// <summary>Cancelling the payment (200) or the order (202, carried out by the saga) before paying voids the payment.</summary>
    [Theory]
    [InlineData(CustomerAction.CancelPayment, HttpStatusCode.OK, "PaymentCancelled", 1)]
    [InlineData(CustomerAction.CancelOrder, HttpStatusCode.Accepted, "CustomerCancelled", 4)]
    public async Task ACustomerWhoCancelsBeforePayingGetsEverythingUndone(CustomerAction cancel, HttpStatusCode answer, string reason, int quantity)
    {
        var id = await PlaceAndQuiesceAsync("alice", "north", autoConfirmPayment: false, ("widget", quantity, 10.00m));

        Assert.Equal(answer, await Host.ActAsync(cancel, id));
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, reason, customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Cancelled", (string?)(await Host.PaymentAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWhoCancelsAfterPayingIsRefundedAndNoCourierStaysAssigned()
    {
        // Delivery is down, so the paid order waits in Confirmed while the customer cancels it.
        await Host.Delivery.StopAsync();
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Eventually.TrueAsync(async () => (string?)(await Host.OrderAsync(id))["status"] == "Confirmed");

        Assert.Equal(HttpStatusCode.Accepted, await Host.ActAsync(CustomerAction.CancelOrder, id));
        await Host.Delivery.StartAsync();
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "CustomerCancelled", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
        Assert.Equal("Refunded", (string?)(await Host.PaymentAsync(id))["status"]);
    }

    [Fact]
    public async Task ACustomerWithoutEnoughCreditIsRefusedAndTheOrderCancelled()
    {
        var id = await PlaceAndQuiesceAsync("bob", "north", autoConfirmPayment: false, ("gizmo", 1, 99.00m));

        using var confirm = await Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, confirm.StatusCode);
        Assert.Equal("InsufficientCredit", (string?)(await confirm.Content.ReadFromJsonAsync<JsonObject>())!["reason"]);
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "InsufficientCredit", customer: "bob", credit: 50.00m, product: "gizmo", onHand: 3);
    }

    [Fact]
    public async Task AnUnpaidOrderExpiresByThePaymentsClock()
    {
        var id = await PlaceAndQuiesceAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));

        await Host.AdvanceAsync(TimeSpan.FromMinutes(14));
        Assert.Equal("AwaitingPayment", (string?)(await Host.OrderAsync(id))["status"]);
        await Host.Payment.RestartAsync(); // the expiry survives a restart: it is kept in state
        await Host.AdvanceAsync(TimeSpan.FromMinutes(1));

        await Expect.CancelledAsync(Host, id, "PaymentExpired", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
    }

    [Fact]
    public async Task AConfirmationAtTheExpiryInstantIsRefusedAsExpired()
    {
        var id = await PlaceAndQuiesceAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        var expiresAt = DateTimeOffset.Parse((string)(await Host.PaymentAsync(id))["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Host.Clock.SetUtcNow(expiresAt);

        Assert.Equal(HttpStatusCode.Conflict, await Host.ActAsync(CustomerAction.ConfirmPayment, id));
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, "PaymentExpired", customer: "alice", credit: 10000.00m, product: "widget", onHand: 1000);
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
        var id = await PlaceAndQuiesceAsync("alice", "north", autoConfirmPayment: false, ("widget", 2, 10.00m));
        foreach (var service in Host.Services) await service.RestartAsync();

        Assert.Equal(HttpStatusCode.OK, await Host.ActAsync(CustomerAction.ConfirmPayment, id));
        await Host.QuiesceAsync();

        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task ConfirmCancelAndExpiryRacingEndInOneConsistentOutcome()
    {
        var id = await PlaceAndQuiesceAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        var expiresAt = DateTimeOffset.Parse((string)(await Host.PaymentAsync(id))["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Host.Clock.SetUtcNow(expiresAt.AddMilliseconds(-1));

        var confirm = Host.ActAsync(CustomerAction.ConfirmPayment, id);
        var cancel = Host.ActAsync(CustomerAction.CancelPayment, id);
        var cancelOrder = Host.ActAsync(CustomerAction.CancelOrder, id);
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
    }
}
