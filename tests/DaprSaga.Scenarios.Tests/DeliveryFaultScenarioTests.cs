
namespace DaprSaga.Scenarios.Tests;

/// <summary>The same sagas under duplicated, reordered and delayed deliveries: each effect happens once.</summary>
public sealed class DeliveryFaultScenarioTests
{
    [Fact]
    public async Task EveryEventDeliveredTwiceStillDebitsReservesAndAssignsOnce()
    {
        await using var cluster = await SagaCluster.StartAsync(new FaultPlan(seed: 1).With(FaultKind.DuplicateDelivery, 1.0));

        var happy = await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await cluster.QuiesceAsync();
        await Expect.CompletedAsync(cluster, happy, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);

        var noCourier = await cluster.PlaceOrderAsync("alice", "west", autoConfirmPayment: true, ("gadget", 1, 25.00m));
        await cluster.QuiesceAsync();
        await Expect.StockAsync(cluster, "gadget", onHand: 100, reserved: 0, sold: 0);
        Assert.Equal(("Cancelled", "NoCourierAvailable"),
            ((string?)(await cluster.OrderAsync(noCourier))["status"], (string?)(await cluster.OrderAsync(noCourier))["cancellationReason"]));
        Assert.Equal(9980.00m, (decimal)(await cluster.CustomerAsync("alice"))["credit"]!);
        Assert.True(cluster.Testbed.Faults.Injected[FaultKind.DuplicateDelivery] > 10);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(42)]
    public async Task ReorderedAndDelayedDeliveriesEndEverySagaRight(int seed)
    {
        var faults = new FaultPlan(seed)
            .With(FaultKind.ReorderDelivery, 0.5)
            .With(FaultKind.DelayDelivery, 0.5)
            .With(FaultKind.DuplicateDelivery, 0.3);
        await using var cluster = await SagaCluster.StartAsync(faults);

        var happy = cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        var outOfStock = cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("unobtainium", 1, 500.00m));
        var noCredit = cluster.PlaceOrderAsync("bob", "south", autoConfirmPayment: true, ("gizmo", 1, 99.00m));
        var noCourier = cluster.PlaceOrderAsync("alice", "west", autoConfirmPayment: true, ("gadget", 2, 25.00m));
        var unknownCustomer = cluster.PlaceOrderAsync("zed", "north", autoConfirmPayment: true, ("gadget", 1, 25.00m));
        await Task.WhenAll(happy, outOfStock, noCredit, noCourier, unknownCustomer);
        await cluster.QuiesceAsync();

        Assert.Equal("Completed", (string?)(await cluster.OrderAsync(await happy))["status"]);
        Assert.Equal("OutOfStock", (string?)(await cluster.OrderAsync(await outOfStock))["cancellationReason"]);
        Assert.Equal("InsufficientCredit", (string?)(await cluster.OrderAsync(await noCredit))["cancellationReason"]);
        Assert.Equal("NoCourierAvailable", (string?)(await cluster.OrderAsync(await noCourier))["cancellationReason"]);
        Assert.Equal("UnknownCustomer", (string?)(await cluster.OrderAsync(await unknownCustomer))["cancellationReason"]);
        await Expect.StockAsync(cluster, "widget", onHand: 998, reserved: 0, sold: 2);
        await Expect.StockAsync(cluster, "gadget", onHand: 100, reserved: 0, sold: 0);
        await Expect.StockAsync(cluster, "gizmo", onHand: 3, reserved: 0, sold: 0);
        Assert.Equal(9980.00m, (decimal)(await cluster.CustomerAsync("alice"))["credit"]!);
        Assert.Equal(50.00m, (decimal)(await cluster.CustomerAsync("bob"))["credit"]!);
        Assert.Equal(1, (int)(await cluster.CourierAsync((string)(await cluster.DeliveryAsync(await happy))["courierId"]!))["activeDeliveries"]!);
    }
}
