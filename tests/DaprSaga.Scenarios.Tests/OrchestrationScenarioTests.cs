
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Every outcome of the orchestrated saga (order-process-service driving the same participants
/// through service invocation) on each of its engines: the runner, and Dapr Workflow (the default)
/// through the test sidecar's workflow backend. Each asserts the final state in every service and
/// the saga's own view.
/// </summary>
public sealed class OrchestrationScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync())
{
    public static TheoryData<SagaEngine> Engines => new(Enum.GetValues<SagaEngine>());

    private static readonly string[] UpToThePayment = ["CreateOrder", "ReserveStock", "CreatePayment"];

    [Fact]
    public async Task WorkflowIsTheDefaultEngineOfAnOrderProcess()
    {
        var id = await Host.StartProcessAsync(engine: null, "alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id);

        await Expect.ProcessAsync(Host, id, SagaEngine.Workflow, "Completed", null, Expect.PreauthorisedSteps);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task AHappyAutoConfirmOrderCompletesWithItsPaymentCreatedConfirmedAndNoConfirmCall(SagaEngine engine)
    {
        var id = await Host.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Host.SettleProcessAsync(id);

        await Expect.ProcessAsync(Host, id, engine, "Completed", null, Expect.PreauthorisedSteps);
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
        // Nobody was asked to confirm: no payment-requested, and one command per step (the last commits, then completes).
        Assert.Empty(Host.Testbed.PubSub(Components.PubSub).Published(Topics.PaymentRequested));
        Assert.Single(Host.Testbed.PubSub(Components.PubSub).Published(Topics.PaymentConfirmed));
        Assert.Equal(7, Host.Process.Sidecar.Calls[SidecarCallKind.Invoke]);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task AHappyOrderWaitsForTheCustomersConfirmationThenCompletes(SagaEngine engine)
    {
        var id = await Host.StartProcessAsync(engine, "alice", "south", autoConfirmPayment: false, ("gadget", 1, 25.00m));
        var waiting = await Host.SettleProcessAsync(id, "WaitingForPayment");
        Assert.Equal("ConfirmPayment", (string?)waiting["currentStep"]);

        Assert.Equal(HttpStatusCode.OK, await Host.ActAsync(CustomerAction.ConfirmPayment, id));
        await Host.SettleProcessAsync(id);

        await Expect.ProcessAsync(Host, id, engine, "Completed", null, Expect.AllSteps);
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9975.00m, product: "gadget", onHand: 99, sold: 1, amount: 25.00m);
    }

    /// <summary>Refusals before the pivot and at it, on each engine: what was done is compensated in reverse, the order cancelled.</summary>
    public static TheoryData<SagaEngine, string, string, (string, int, decimal), string, string, int, decimal, string[]> Refusals
    {
        get
        {
            (string Customer, string Zone, (string, int, decimal) Line, string Reason, string Product, int OnHand, decimal Credit, string[] Done)[] refusals =
            [
                ("alice", "north", ("unobtainium", 1, 500.00m), "OutOfStock", "unobtainium", 0, 10000.00m, ["CreateOrder"]),
                ("alice", "north", ("no-such-thing", 1, 1.00m), "UnknownProduct", "widget", 1000, 10000.00m, ["CreateOrder"]),
                ("alice", "north", ("widget", 1, 9.00m), "PriceChanged", "widget", 1000, 10000.00m, ["CreateOrder"]),
                ("zed", "north", ("widget", 1, 10.00m), "UnknownCustomer", "widget", 1000, 0m, ["CreateOrder", "ReserveStock"]),
                // Pre-authorised, the payment is refused for credit at its create.
                ("bob", "north", ("gizmo", 1, 99.00m), "InsufficientCredit", "gizmo", 3, 50.00m, ["CreateOrder", "ReserveStock"]),
                ("alice", "west", ("widget", 2, 10.00m), "NoCourierAvailable", "widget", 1000, 10000.00m, [.. UpToThePayment, "ConfirmOrder"]),
            ];
            var data = new TheoryData<SagaEngine, string, string, (string, int, decimal), string, string, int, decimal, string[]>();
            foreach (var engine in Enum.GetValues<SagaEngine>())
            {
                foreach (var r in refusals) data.Add(engine, r.Customer, r.Zone, r.Line, r.Reason, r.Product, r.OnHand, r.Credit, r.Done);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ABusinessRefusalCompensatesEveryStepInReverse(
        SagaEngine engine, string customer, string zone, (string, int, decimal) line, string reason, string product, int onHand, decimal credit, string[] done)
    {
        var id = await Host.StartProcessAsync(engine, customer, zone, autoConfirmPayment: true, line);
        await Host.SettleProcessAsync(id);

        // Every step done is marked compensated (one without a compensation of its own is undone by an earlier one's).
        await Expect.ProcessAsync(Host, id, engine, "Cancelled", reason, done, done);
        await Expect.CancelledAsync(Host, id, reason, customer == "zed" ? null : customer, credit, product, onHand);
        if (reason == "NoCourierAvailable")
            Assert.Equal("Refunded", (string?)(await Host.PaymentAsync(id))["status"]);
        if (reason == "OutOfStock")
            Assert.Equal(HttpStatusCode.NotFound, await SagaCluster.StatusOfAsync(Host.Payment, $"/payments/{id}"));
    }

    /// <summary>Cancelling the payment (200) or the order (202, carried out by the saga) while the saga waits for the customer.</summary>
    public static TheoryData<SagaEngine, CustomerAction, HttpStatusCode, string> Cancels => new()
    {
        { SagaEngine.Runner, CustomerAction.CancelPayment, HttpStatusCode.OK, "PaymentCancelled" },
        { SagaEngine.Workflow, CustomerAction.CancelPayment, HttpStatusCode.OK, "PaymentCancelled" },
        { SagaEngine.Runner, CustomerAction.CancelOrder, HttpStatusCode.Accepted, "CustomerCancelled" },
        { SagaEngine.Workflow, CustomerAction.CancelOrder, HttpStatusCode.Accepted, "CustomerCancelled" },
    };

    [Theory]
    [MemberData(nameof(Cancels))]
    public async Task ACustomerWhoCancelsWhileTheSagaWaitsGetsTheOrchestratedOrderCancelled(
        SagaEngine engine, CustomerAction cancel, HttpStatusCode answer, string reason)
    {
        var id = await Host.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id, "WaitingForPayment");

        Assert.Equal(answer, await Host.ActAsync(cancel, id));
        await Host.SettleProcessAsync(id);

        await Expect.ProcessAsync(Host, id, engine, "Cancelled", reason, UpToThePayment, UpToThePayment);
        await Expect.CancelledAsync(Host, id, reason, "alice", 10000.00m, "widget", 1000);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task AnUnconfirmedPaymentExpiresAndTheOrchestratorCompensates(SagaEngine engine)
    {
        var id = await Host.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id, "WaitingForPayment");

        // Within the confirmation window (15 minutes) the payment checks find it pending and the saga waits on.
        await Host.AdvanceAsync(TimeSpan.FromMinutes(14));
        Assert.Equal("WaitingForPayment", (string?)(await Host.ProcessAsync(id))["status"]);
        await Host.AdvanceAsync(TimeSpan.FromMinutes(1));
        await Host.SettleProcessAsync(id);

        await Expect.ProcessAsync(Host, id, engine, "Cancelled", "PaymentExpired", UpToThePayment, UpToThePayment);
        await Expect.CancelledAsync(Host, id, "PaymentExpired", "alice", 10000.00m, "widget", 1000);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task OrchestratedSagasNeverTriggerChoreographyReactions(SagaEngine engine)
    {
        var id = await Host.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
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
