
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Every outcome of the orchestrated saga (order-process-service driving the same participants
/// through service invocation), each asserting the final state in every service.
/// </summary>
public sealed class OrchestrationScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync())
{
    private async Task AssertProcessAsync(string id, string status, string? reason)
    {
        var process = await Host.ProcessAsync(id);
        Assert.Equal((status, reason), ((string?)process["status"], (string?)process["cancellationReason"]));
        Assert.Equal("Orchestration", (string?)(await Host.OrderAsync(id))["flow"]);
    }

    [Fact]
    public async Task AHappyOrderCompletesWithTheOrchestratorConfirmingThePayment()
    {
        var id = await Host.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Host.SettleProcessAsync(id);

        await AssertProcessAsync(id, "Completed", null);
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
        var steps = (await Host.ProcessAsync(id))["steps"]!.AsArray();
        Assert.Equal(
            ["CreateOrder", "ReserveStock", "CreatePayment", "ConfirmPayment", "ConfirmOrder", "ScheduleDelivery", "CompleteOrder"],
            steps.Where(s => (string?)s!["outcome"] == "Done").Select(s => (string?)s!["name"]));
    }

    [Fact]
    public async Task AHappyOrderWaitsForTheCustomersConfirmationThenCompletes()
    {
        var id = await Host.StartProcessAsync("alice", "south", autoConfirmPayment: false, ("gadget", 1, 25.00m));
        await Host.SettleProcessAsync(id, "WaitingForPayment");

        using var confirm = await Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        await Host.SettleProcessAsync(id);

        await AssertProcessAsync(id, "Completed", null);
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9975.00m, product: "gadget", onHand: 99, sold: 1, amount: 25.00m);
    }

    public static TheoryData<string, string, (string, int, decimal), string, string, int, decimal> Refusals => new()
    {
        { "alice", "north", ("unobtainium", 1, 500.00m), "OutOfStock", "unobtainium", 0, 10000.00m },
        { "alice", "north", ("no-such-thing", 1, 1.00m), "UnknownProduct", "widget", 1000, 10000.00m },
        { "alice", "north", ("widget", 1, 9.00m), "PriceChanged", "widget", 1000, 10000.00m },
        { "zed", "north", ("widget", 1, 10.00m), "UnknownCustomer", "widget", 1000, 0m },
        { "bob", "north", ("gizmo", 1, 99.00m), "InsufficientCredit", "gizmo", 3, 50.00m },
        { "alice", "west", ("widget", 2, 10.00m), "NoCourierAvailable", "widget", 1000, 10000.00m },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ABusinessRefusalCompensatesEveryStepInReverse(
        string customer, string zone, (string, int, decimal) line, string reason, string product, int onHand, decimal credit)
    {
        var id = await Host.StartProcessAsync(customer, zone, autoConfirmPayment: true, line);
        await Host.SettleProcessAsync(id);

        await AssertProcessAsync(id, "Cancelled", reason);
        await Expect.CancelledAsync(Host, id, reason, customer == "zed" ? null : customer, credit, product, onHand);
    }

    [Fact]
    public async Task ACustomerWhoCancelsThePaymentGetsTheOrchestratedOrderCancelled()
    {
        var id = await Host.StartProcessAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id, "WaitingForPayment");

        using var cancel = await Host.Payment.Http.PostAsync(new Uri($"/payments/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        await Host.SettleProcessAsync(id);

        await AssertProcessAsync(id, "Cancelled", "PaymentCancelled");
        await Expect.CancelledAsync(Host, id, "PaymentCancelled", "alice", 10000.00m, "widget", 1000);
    }

    [Fact]
    public async Task AnUnconfirmedPaymentExpiresAndTheOrchestratorCompensates()
    {
        var id = await Host.StartProcessAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id, "WaitingForPayment");

        await Host.AdvanceAsync(TimeSpan.FromMinutes(15));
        await Host.SettleProcessAsync(id);

        await AssertProcessAsync(id, "Cancelled", "PaymentExpired");
        await Expect.CancelledAsync(Host, id, "PaymentExpired", "alice", 10000.00m, "widget", 1000);
    }

    [Fact]
    public async Task OrchestratedSagasNeverTriggerChoreographyReactions()
    {
        var id = await Host.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id);

        // The participants published their facts for this order, all marked Orchestration...
        var published = Host.Testbed.PubSub(Components.PubSub);
        foreach (var topic in new[] { Topics.OrderPlaced, Topics.StockReserved, Topics.PaymentConfirmed, Topics.DeliveryScheduled })
        {
            var facts = published.Published(topic).Where(e => (string?)e.Envelope["data"]!["orderId"] == id).ToList();
            Assert.NotEmpty(facts);
            Assert.All(facts, e => Assert.Equal("Orchestration", (string?)e.Envelope["data"]!["flow"]));
        }
        // ...and each effect happened once: one debit, one hold, one courier slot.
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9990.00m, product: "widget", onHand: 999, sold: 1, amount: 10.00m);
    }
}
