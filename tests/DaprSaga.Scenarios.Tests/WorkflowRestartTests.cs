using DaprSaga.TestSidecar.Workflow;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// order-process-service restarted at the workflow's turn boundaries (each time a step's activity
/// result has been committed) and while it waits for the customer: the instance lives on in the
/// engine, the new worker replays it, and every saga ends right with each effect once.
/// </summary>
public sealed class WorkflowRestartTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static bool Finished(IReadOnlyList<Dapr.DurableTask.Protobuf.HistoryEvent> history) => history.Any(e => e.ExecutionCompleted is not null);

    // A timer the workflow created that has not fired into its history yet.
    private static bool TimerPending(IReadOnlyList<Dapr.DurableTask.Protobuf.HistoryEvent> history) =>
        history.Count(e => e.TimerCreated is not null) > history.Count(e => e.TimerFired is not null);

    /// <summary>
    /// Lets the instance take one turn at a time (the engine hands out no turn while its limit is
    /// 0) and restarts the app between every two turns, until the instance finishes. An activity
    /// cut off by a stop may come back failed; its retry then waits on a durable timer, which only
    /// the fake clock moves.
    /// </summary>
    private static async Task<int> RestartAtEveryTurnBoundaryAsync(SagaCluster cluster, string id)
    {
        WorkflowEngine engine = cluster.Testbed.Workflows(AppIds.OrderProcessService);
        var restarts = 0;
        engine.Limits = (0, null);
        try
        {
            for (var turn = 0; turn < 100; turn++)
            {
                var before = engine.HistoryOf(id);
                if (Finished(before)) return restarts;
                await cluster.Process.RestartAsync();
                restarts++;
                engine.Limits = (1, null);
                try
                {
                    await engine.WaitForHistoryAsync(id, h => h.Count > before.Count, TimeSpan.FromSeconds(3));
                }
                catch (TimeoutException) when (TimerPending(engine.HistoryOf(id)))
                {
                    await cluster.AdvanceAsync(TimeSpan.FromSeconds(31));
                }
                catch (TimeoutException)
                {
                    // An activity still running (or run again after the stop): the next round waits on.
                }
                finally
                {
                    engine.Limits = (0, null);
                }
            }
            throw new TimeoutException($"workflow {id} did not finish");
        }
        finally
        {
            engine.Limits = (null, null);
        }
    }

    /// <summary>Starts a saga that needs no customer and restarts the app at every turn boundary until it is over.</summary>
    private static async Task<string> RunRestartingAtEveryTurnBoundaryAsync(SagaCluster cluster, string zone)
    {
        var id = await cluster.StartWorkflowAsync("alice", zone, autoConfirmPayment: true, ("widget", 2, 10.00m));

        var restarts = await RestartAtEveryTurnBoundaryAsync(cluster, id);
        await cluster.SettleProcessAsync(id);

        Assert.True(restarts >= 6, $"only {restarts} restart(s) landed inside the saga");
        return id;
    }

    [Fact]
    public async Task WorkflowRestartedAtEveryTurnBoundaryCompletesWithEachEffectOnce()
    {
        await using var cluster = await SagaCluster.StartAsync();
        var id = await RunRestartingAtEveryTurnBoundaryAsync(cluster, "north");

        await Expect.ProcessAsync(cluster, id, SagaEngine.Workflow, "Completed", null, Expect.PreauthorisedSteps);
        await Expect.CompletedAsync(cluster, id, customer: "alice", credit: 9980.00m, product: "widget", onHand: 998, sold: 2, amount: 20.00m);
    }

    [Fact]
    public async Task WorkflowRestartedAtEveryTurnBoundaryOfACompensationRefundsReleasesAndCancelsOnce()
    {
        await using var cluster = await SagaCluster.StartAsync();
        var id = await RunRestartingAtEveryTurnBoundaryAsync(cluster, "west");

        string[] done = ["CreateOrder", "ReserveStock", "CreatePayment", "ConfirmOrder"];
        await Expect.ProcessAsync(cluster, id, SagaEngine.Workflow, "Cancelled", "NoCourierAvailable", done, done);
        await Expect.CancelledAsync(cluster, id, "NoCourierAvailable", "alice", 10000.00m, "widget", 1000);
        Assert.Equal("Refunded", (string?)(await cluster.PaymentAsync(id))["status"]);
    }

    [Fact]
    public async Task WorkflowRestartedWhileWaitingForTheCustomerStillHearsTheOrderCancel()
    {
        await using var cluster = await SagaCluster.StartAsync();
        var id = await cluster.StartWorkflowAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await cluster.SettleProcessAsync(id, "WaitingForPayment");

        await cluster.Process.RestartAsync();
        Assert.Equal(HttpStatusCode.Accepted, await cluster.ActAsync(CustomerAction.CancelOrder, id));
        await cluster.SettleProcessAsync(id);

        string[] done = ["CreateOrder", "ReserveStock", "CreatePayment"];
        await Expect.ProcessAsync(cluster, id, SagaEngine.Workflow, "Cancelled", "CustomerCancelled", done, done);
        await Expect.CancelledAsync(cluster, id, "CustomerCancelled", "alice", 10000.00m, "widget", 1000);
    }

    /// <summary>
    /// Ten payment checks without a decision continue the instance as new; the customer's
    /// confirmation after that reaches the next generation, and the history stays bounded.
    /// </summary>
    [Fact]
    public async Task WorkflowCustomerConfirmingAfterTheSagaContinuedAsNewCompletesIt()
    {
        await using var cluster = await SagaCluster.StartAsync();
        var engine = cluster.Testbed.Workflows(AppIds.OrderProcessService);
        var id = await cluster.StartWorkflowAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await cluster.SettleProcessAsync(id, "WaitingForPayment");

        var longest = 0;
        for (var check = 0; check < 12; check++)
        {
            // Each minute's check times out the wait, reads the payment (pending) and waits again.
            await cluster.AdvanceAsync(TimeSpan.FromMinutes(1));
            var now = cluster.Clock.GetUtcNow();
            var history = await engine.WaitForHistoryAsync(
                id, h => h.Any(e => e.TimerCreated is { } t && t.FireAt.ToDateTimeOffset() > now), Deadline);
            longest = Math.Max(longest, history.Count);
        }
        var current = engine.HistoryOf(id);
        Assert.True(current.Count < longest, $"the history never shrank: {current.Count} events, {longest} at most");
        Assert.Equal("WaitingForPayment", (string?)(await cluster.ProcessAsync(id))["status"]);

        Assert.Equal(HttpStatusCode.OK, await cluster.ActAsync(CustomerAction.ConfirmPayment, id));
        await cluster.SettleProcessAsync(id);

        await Expect.ProcessAsync(cluster, id, SagaEngine.Workflow, "Completed", null, Expect.AllSteps);
        await Expect.CompletedAsync(cluster, id, customer: "alice", credit: 9990.00m, product: "widget", onHand: 999, sold: 1, amount: 10.00m);
    }
}
