
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Every outcome of the orchestrated saga on Dapr Workflow (order-process-service's default
/// engine) through the test sidecar's workflow backend, each asserting the final state in every
/// service and the saga's own view.
/// </summary>
public sealed class WorkflowScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync())
{
    /// <summary>The view names the workflow engine, the outcome, and the steps done (and compensated) in order.</summary>
    internal static async Task AssertViewAsync(SagaCluster cluster, string id, string status, string? reason, string[] done, string[]? compensated = null)
    {
        var process = await cluster.ProcessAsync(id);
        Assert.Equal(("Workflow", status, reason), ((string?)process["engine"], (string?)process["status"], (string?)process["cancellationReason"]));
        var steps = process["steps"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(done, steps.Where(s => (string?)s["outcome"] == "Done").Select(s => (string?)s["name"]));
        Assert.Equal(compensated ?? [], steps.Where(s => (bool?)s["compensated"] == true).Select(s => (string?)s["name"]));
        Assert.Equal("Orchestration", (string?)(await cluster.OrderAsync(id))["flow"]);
        Assert.Contains(id, cluster.Testbed.Workflows(AppIds.OrderProcessService).InstanceIds);
    }

    internal static readonly string[] AllSteps =
        ["CreateOrder", "ReserveStock", "CreatePayment", "ConfirmPayment", "ConfirmOrder", "ScheduleDelivery", "CompleteOrder"];

    [Fact]
    public async Task WorkflowIsTheDefaultEngineOfAnOrderProcess()
    {
        var id = await Host.StartProcessAsync(engine: null, "alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id);

        await AssertViewAsync(Host, id, "Completed", null, AllSteps);
    }

    [Fact]
    public async Task WorkflowHappyOrderCompletesWithTheOrchestratorConfirmingThePayment()
    {
        var id = await Host.StartWorkflowAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Host.SettleProcessAsync(id);

        await AssertViewAsync(Host, id, "Completed", null, AllSteps);
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task WorkflowCustomerConfirmsThePaymentAndTheOrderCompletes()
    {
        var id = await Host.StartWorkflowAsync("alice", "south", autoConfirmPayment: false, ("gadget", 1, 25.00m));
        var waiting = await Host.SettleProcessAsync(id, "WaitingForPayment");
        Assert.Equal("ConfirmPayment", (string?)waiting["currentStep"]);

        await PostAsync(Host.Payment, $"/payments/{id}/confirm");
        await Host.SettleProcessAsync(id);

        await AssertViewAsync(Host, id, "Completed", null, AllSteps);
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9975.00m, product: "gadget", onHand: 99, sold: 1, amount: 25.00m);
    }

    /// <summary>Refusals before the pivot and at it: what was done is compensated in reverse, the order cancelled.</summary>
    public static TheoryData<string, string, (string, int, decimal), string, string, int, decimal, string[]> Refusals => new()
    {
        { "alice", "north", ("unobtainium", 1, 500.00m), "OutOfStock", "unobtainium", 0, 10000.00m, ["CreateOrder"] },
        { "alice", "north", ("no-such-thing", 1, 1.00m), "UnknownProduct", "widget", 1000, 10000.00m, ["CreateOrder"] },
        { "alice", "north", ("widget", 1, 9.00m), "PriceChanged", "widget", 1000, 10000.00m, ["CreateOrder"] },
        { "zed", "north", ("widget", 1, 10.00m), "UnknownCustomer", "widget", 1000, 0m, ["CreateOrder", "ReserveStock"] },
        { "bob", "north", ("gizmo", 1, 99.00m), "InsufficientCredit", "gizmo", 3, 50.00m, ["CreateOrder", "ReserveStock", "CreatePayment"] },
        { "alice", "west", ("widget", 2, 10.00m), "NoCourierAvailable", "widget", 1000, 10000.00m, ["CreateOrder", "ReserveStock", "CreatePayment", "ConfirmPayment", "ConfirmOrder"] },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task WorkflowBusinessRefusalCompensatesEveryStepInReverseAndCancelsTheOrder(
        string customer, string zone, (string, int, decimal) line, string reason, string product, int onHand, decimal credit, string[] done)
    {
        var id = await Host.StartWorkflowAsync(customer, zone, autoConfirmPayment: true, line);
        await Host.SettleProcessAsync(id);

        // Every step done is marked compensated (one without a compensation of its own is undone by an earlier one's).
        await AssertViewAsync(Host, id, "Cancelled", reason, done, done);
        await Expect.CancelledAsync(Host, id, reason, customer == "zed" ? null : customer, credit, product, onHand);
        if (reason == "NoCourierAvailable")
            Assert.Equal("Refunded", (string?)(await Host.PaymentAsync(id))["status"]);
        if (reason == "OutOfStock")
            Assert.Equal(HttpStatusCode.NotFound, await SagaCluster.StatusOfAsync(Host.Payment, $"/payments/{id}"));
    }

    [Fact]
    public async Task WorkflowCustomerCancelsThePaymentAndTheOrderIsCancelled()
    {
        var id = await Host.StartWorkflowAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id, "WaitingForPayment");

        await PostAsync(Host.Payment, $"/payments/{id}/cancel");
        await Host.SettleProcessAsync(id);

        await AssertViewAsync(Host, id, "Cancelled", "PaymentCancelled", ["CreateOrder", "ReserveStock", "CreatePayment"], ["CreateOrder", "ReserveStock", "CreatePayment"]);
        await Expect.CancelledAsync(Host, id, "PaymentCancelled", "alice", 10000.00m, "widget", 1000);
    }

    [Fact]
    public async Task WorkflowUnconfirmedPaymentExpiresAndTheSagaCompensates()
    {
        var id = await Host.StartWorkflowAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id, "WaitingForPayment");

        // Within the confirmation window the workflow's payment checks find it pending and wait on.
        await Host.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Equal("WaitingForPayment", (string?)(await Host.ProcessAsync(id))["status"]);
        await Host.AdvanceAsync(TimeSpan.FromMinutes(11));
        await Host.SettleProcessAsync(id);

        await AssertViewAsync(Host, id, "Cancelled", "PaymentExpired", ["CreateOrder", "ReserveStock", "CreatePayment"], ["CreateOrder", "ReserveStock", "CreatePayment"]);
        await Expect.CancelledAsync(Host, id, "PaymentExpired", "alice", 10000.00m, "widget", 1000);
    }

    [Fact]
    public async Task WorkflowCustomerCancelsTheOrderWhileItWaitsAndTheSagaCompensates()
    {
        var id = await Host.StartWorkflowAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id, "WaitingForPayment");

        await PostAsync(Host.Order, $"/orders/{id}/cancel");
        await Host.SettleProcessAsync(id);

        await AssertViewAsync(Host, id, "Cancelled", "CustomerCancelled", ["CreateOrder", "ReserveStock", "CreatePayment"], ["CreateOrder", "ReserveStock", "CreatePayment"]);
        await Expect.CancelledAsync(Host, id, "CustomerCancelled", "alice", 10000.00m, "widget", 1000);
    }

    [Fact]
    public async Task WorkflowSagasNeverTriggerChoreographyReactions()
    {
        var id = await Host.StartWorkflowAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id);

        var published = Host.Testbed.PubSub(Components.PubSub);
        foreach (var topic in new[] { Topics.OrderPlaced, Topics.StockReserved, Topics.PaymentConfirmed, Topics.DeliveryScheduled })
        {
            var facts = published.Published(topic).Where(e => (string?)e.Envelope["data"]!["orderId"] == id).ToList();
            Assert.NotEmpty(facts);
            Assert.All(facts, e => Assert.Equal("Orchestration", (string?)e.Envelope["data"]!["flow"]));
        }
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9990.00m, product: "widget", onHand: 999, sold: 1, amount: 10.00m);
    }

    internal static async Task PostAsync(ServiceUnderTest service, string path)
    {
        using var response = await service.Http.PostAsync(new Uri(path, UriKind.Relative), null);
        // Payment commands answer 200; an order cancel is accepted (202) and carried out by the saga.
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Accepted });
    }

}
