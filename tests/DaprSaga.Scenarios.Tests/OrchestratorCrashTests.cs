
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// The orchestrator stopped after each step in turn, and calls whose response is lost between
/// the participant and the orchestrator: every saga still ends right, with each effect once.
/// </summary>
public sealed class OrchestratorCrashTests
{
    private static readonly TimeSpan PastTheLease = TimeSpan.FromSeconds(31);

    /// <summary>
    /// Which participant to take down so the saga stops right after step <c>k</c>. Where that
    /// participant also serves an earlier step, the saga first waits for the customer's payment
    /// confirmation, the participant goes down, and then the customer confirms.
    /// </summary>
    public static TheoryData<int, string, bool> StopPoints => new()
    {
        { 0, AppIds.OrderService, false },      // before CreateOrder
        { 1, AppIds.InventoryService, false },  // after CreateOrder, before ReserveStock
        { 2, AppIds.PaymentService, false },    // after ReserveStock, before CreatePayment
        { 4, AppIds.OrderService, true },       // after ConfirmPayment, before ConfirmOrder
        { 4, AppIds.DeliveryService, false },   // after ConfirmOrder (the payment pre-authorised), before ScheduleDelivery
        { 6, AppIds.InventoryService, true },   // after the pivot, before CompleteOrder (commit)
    };

    [Theory]
    [MemberData(nameof(StopPoints))]
    public async Task AnOrchestratorStoppedAfterAStepResumesThereAndFinishesWithEachEffectOnce(int doneSteps, string blocked, bool customerConfirms)
    {
        await using var cluster = await SagaCluster.StartAsync();
        var participant = cluster.Services.Single(s => s.AppId == blocked);

        string id;
        if (customerConfirms)
        {
            id = await cluster.StartProcessAsync("alice", "north", autoConfirmPayment: false, ("widget", 2, 10.00m));
            await cluster.SettleProcessAsync(id, "WaitingForPayment");
            await participant.StopAsync();
            Assert.Equal(HttpStatusCode.OK, await cluster.ActAsync(CustomerAction.ConfirmPayment, id));
        }
        else
        {
            await participant.StopAsync();
            id = await cluster.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        }
        await Eventually.TrueAsync(async () =>
            (await cluster.ProcessAsync(id))["steps"]!.AsArray().Count(s => (string?)s!["outcome"] == "Done") == doneSteps);
        await cluster.Process.StopAsync();     // the crash
        await participant.StartAsync();
        await cluster.Process.StartAsync();
        cluster.Clock.Advance(PastTheLease);   // the dead runner's lease runs out
        await cluster.Process.Sidecar.TriggerBindingAsync(Components.ProcessRecovery);
        await cluster.SettleProcessAsync(id);

        Assert.Equal("Completed", (string?)(await cluster.ProcessAsync(id))["status"]);
        await Expect.CompletedAsync(cluster, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Theory]
    [InlineData(SagaEngine.Runner)]
    [InlineData(SagaEngine.Workflow)]
    public async Task AConfirmationArrivingWhileTheOrchestratorIsDownIsPickedUpOnRestart(SagaEngine engine)
    {
        await using var cluster = await SagaCluster.StartAsync();
        var id = await cluster.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await cluster.SettleProcessAsync(id, "WaitingForPayment");

        await cluster.Process.StopAsync();
        Assert.Equal(HttpStatusCode.OK, await cluster.ActAsync(CustomerAction.ConfirmPayment, id));
        await cluster.Process.StartAsync();
        await cluster.SettleProcessAsync(id);

        await Expect.ProcessAsync(cluster, id, engine, "Completed", null, Expect.AllSteps);
        await Expect.CompletedAsync(cluster, id, customer: "alice", credit: 9990.00m, product: "widget", onHand: 999, sold: 1, amount: 10.00m);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(17)]
    public Task LostInvocationResponsesNeverRepeatAnEffect(int seed) =>
        LostResponsesEndEverySagaRightAsync(seed, SagaEngine.Runner, DriveAsync);

    /// <summary>
    /// A happy saga, one without credit and one without a courier on an engine whose calls lose
    /// responses, each driven to its end: every outcome right, every effect once.
    /// </summary>
    internal static async Task LostResponsesEndEverySagaRightAsync(int seed, SagaEngine engine, Func<SagaCluster, string, Task> drive)
    {
        var faults = new FaultPlan(seed).With(FaultKind.LostInvocationResponse, 0.3);
        await using var cluster = await SagaCluster.StartAsync(faults);

        var happy = await cluster.StartProcessAsync(engine, "alice", "north", true, ("widget", 2, 10.00m));
        var noCredit = await cluster.StartProcessAsync(engine, "bob", "south", true, ("gizmo", 1, 99.00m));
        var noCourier = await cluster.StartProcessAsync(engine, "alice", "west", true, ("gadget", 1, 25.00m));
        foreach (var id in new[] { happy, noCredit, noCourier }) await drive(cluster, id);

        Assert.Equal("Completed", (string?)(await cluster.OrderAsync(happy))["status"]);
        Assert.Equal("InsufficientCredit", (string?)(await cluster.OrderAsync(noCredit))["cancellationReason"]);
        Assert.Equal("NoCourierAvailable", (string?)(await cluster.OrderAsync(noCourier))["cancellationReason"]);
        await Expect.StockAsync(cluster, "widget", onHand: 998, reserved: 0, sold: 2);
        await Expect.StockAsync(cluster, "gizmo", onHand: 3, reserved: 0, sold: 0);
        await Expect.StockAsync(cluster, "gadget", onHand: 100, reserved: 0, sold: 0);
        Assert.Equal(9980.00m, (decimal)(await cluster.CustomerAsync("alice"))["credit"]!);
        Assert.Equal(50.00m, (decimal)(await cluster.CustomerAsync("bob"))["credit"]!);
        Assert.True(faults.Injected.GetValueOrDefault(FaultKind.LostInvocationResponse) > 0);
    }

    /// <summary>Runs the recovery tick (past each lease) until the saga is finished.</summary>
    private static async Task DriveAsync(SagaCluster cluster, string id)
    {
        for (var tick = 0; tick < 40; tick++)
        {
            var status = (string?)(await cluster.ProcessAsync(id))["status"];
            if (status is "Completed" or "Cancelled") break;
            cluster.Clock.Advance(PastTheLease);
            await cluster.Process.Sidecar.TriggerBindingAsync(Components.ProcessRecovery);
        }
        await cluster.SettleProcessAsync(id);
    }
}
