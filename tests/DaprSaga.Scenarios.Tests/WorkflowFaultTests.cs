
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// The workflow engine under the faults it must absorb: duplicated and reordered events,
/// customer decisions early or twice, lost participant responses, lost activity results and
/// dropped work-item streams (replays). Each saga ends as it would without them, each effect once.
/// </summary>
public sealed class WorkflowFaultTests
{
    private static readonly TimeSpan PastTheBackoff = TimeSpan.FromSeconds(31);

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    public async Task WorkflowDuplicatedAndReorderedEventsEndEverySagaOnceAndRight(int seed)
    {
        var faults = new FaultPlan(seed).With(FaultKind.DuplicateDelivery, 0.5).With(FaultKind.ReorderDelivery, 0.5);
        await using var cluster = await SagaCluster.StartAsync(faults);
        var confirmed = await cluster.StartWorkflowAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        var paymentCancelled = await cluster.StartWorkflowAsync("alice", "south", autoConfirmPayment: false, ("gadget", 1, 25.00m));
        var orderCancelled = await cluster.StartWorkflowAsync("bob", "north", autoConfirmPayment: false, ("widget", 2, 10.00m));
        foreach (var id in new[] { confirmed, paymentCancelled, orderCancelled }) await cluster.SettleProcessAsync(id, "WaitingForPayment");

        Assert.Equal(HttpStatusCode.OK, await cluster.ActAsync(CustomerAction.ConfirmPayment, confirmed));
        Assert.Equal(HttpStatusCode.OK, await cluster.ActAsync(CustomerAction.CancelPayment, paymentCancelled));
        Assert.Equal(HttpStatusCode.Accepted, await cluster.ActAsync(CustomerAction.CancelOrder, orderCancelled));
        foreach (var id in new[] { confirmed, paymentCancelled, orderCancelled }) await cluster.SettleProcessAsync(id);

        await Expect.ProcessAsync(cluster, confirmed, SagaEngine.Workflow, "Completed", null, Expect.AllSteps);
        string[] done = ["CreateOrder", "ReserveStock", "CreatePayment"];
        await Expect.ProcessAsync(cluster, paymentCancelled, SagaEngine.Workflow, "Cancelled", "PaymentCancelled", done, done);
        await Expect.ProcessAsync(cluster, orderCancelled, SagaEngine.Workflow, "Cancelled", "CustomerCancelled", done, done);
        await Expect.StockAsync(cluster, "widget", onHand: 999, reserved: 0, sold: 1);
        await Expect.StockAsync(cluster, "gadget", onHand: 100, reserved: 0, sold: 0);
        Assert.Equal(9990.00m, (decimal)(await cluster.CustomerAsync("alice"))["credit"]!);
        Assert.Equal(50.00m, (decimal)(await cluster.CustomerAsync("bob"))["credit"]!);
        Assert.True(faults.Injected.GetValueOrDefault(FaultKind.DuplicateDelivery) > 0);
    }

    [Fact]
    public async Task WorkflowDecisionArrivingBeforeTheWaitBeginsIsTakenByTheWait()
    {
        await using var cluster = await SagaCluster.StartAsync();
        var engine = cluster.Testbed.Workflows(AppIds.OrderProcessService);
        var id = await cluster.StartWorkflowAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));

        // One turn at a time until CreatePayment is scheduled, then none: its result and the
        // customer's confirmation reach the workflow together, before it has begun to wait.
        engine.Limits = (0, null);
        try
        {
            while (engine.HistoryOf(id).Count(e => e.TaskScheduled is not null) < 3)
            {
                var before = engine.HistoryOf(id).Count;
                engine.Limits = (1, null);
                await engine.WaitForHistoryAsync(id, h => h.Count > before, TimeSpan.FromSeconds(15));
                engine.Limits = (0, null);
            }
            await Eventually.TrueAsync(async () => await SagaCluster.StatusOfAsync(cluster.Payment, $"/payments/{id}") == System.Net.HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.OK, await cluster.ActAsync(CustomerAction.ConfirmPayment, id));
            await cluster.QuiesceAsync();
            var held = engine.HistoryOf(id);
            Assert.Equal((3, 2), (held.Count(e => e.TaskScheduled is not null), held.Count(e => e.TaskCompleted is not null)));
            Assert.DoesNotContain(held, e => e.EventRaised is not null);
        }
        finally
        {
            engine.Limits = (null, null);
        }
        await cluster.SettleProcessAsync(id);

        await Expect.ProcessAsync(cluster, id, SagaEngine.Workflow, "Completed", null, Expect.AllSteps);
        await Expect.CompletedAsync(cluster, id, customer: "alice", credit: 9990.00m, product: "widget", onHand: 999, sold: 1, amount: 10.00m);
    }

    [Fact]
    public async Task WorkflowDecisionHeardTwiceOrContradictedLaterActsOnlyOnTheFirst()
    {
        // Every event delivered twice: the confirmation is raised twice; a later cancel of the
        // confirmed order is refused by order-service and must not move the saga either.
        var faults = new FaultPlan(7).With(FaultKind.DuplicateDelivery, 1.0);
        await using var cluster = await SagaCluster.StartAsync(faults);
        var id = await cluster.StartWorkflowAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await cluster.SettleProcessAsync(id, "WaitingForPayment");

        Assert.Equal(HttpStatusCode.OK, await cluster.ActAsync(CustomerAction.ConfirmPayment, id));
        await cluster.SettleProcessAsync(id);
        await cluster.ActAsync(CustomerAction.CancelPayment, id);
        await cluster.QuiesceAsync();

        var raised = cluster.Testbed.Workflows(AppIds.OrderProcessService).HistoryOf(id).Count(e => e.EventRaised is not null);
        Assert.True(raised >= 1, "the confirmation never reached the workflow");
        await Expect.ProcessAsync(cluster, id, SagaEngine.Workflow, "Completed", null, Expect.AllSteps);
        await Expect.CompletedAsync(cluster, id, customer: "alice", credit: 9990.00m, product: "widget", onHand: 999, sold: 1, amount: 10.00m);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(17)]
    // The retry policy's timers and the 30 s backoff run on the fake clock: DriveAsync moves it.
    public Task WorkflowLostInvocationResponsesAreRetriedWithoutRepeatingAnEffect(int seed) =>
        OrchestratorCrashTests.LostResponsesEndEverySagaRightAsync(seed, SagaEngine.Workflow, DriveAsync);

    /// <summary>Moves the fake clock past retry and backoff timers until the saga is finished.</summary>
    private static async Task DriveAsync(SagaCluster cluster, string id)
    {
        var engine = cluster.Testbed.Workflows(AppIds.OrderProcessService);
        for (var tick = 0; tick < 40; tick++)
        {
            if ((string?)(await cluster.ProcessAsync(id))["status"] is "Completed" or "Cancelled") break;
            var before = engine.HistoryOf(id).Count;
            await cluster.AdvanceAsync(PastTheBackoff);
            // Let the turn a fired timer started commit before moving the clock again.
            try
            {
                await engine.WaitForHistoryAsync(id, h => h.Count > before, TimeSpan.FromSeconds(2));
            }
            catch (TimeoutException)
            {
                // No timer was due: the saga is in an activity; the next tick looks again.
            }
        }
        await cluster.SettleProcessAsync(id);
    }

    public static TheoryData<string, string, string, (string, int, decimal), FaultKind, double> Replays => new()
    {
        { "happy", "alice", "north", ("widget", 2, 10.00m), FaultKind.LostActivityResult, 0.5 },
        { "out of stock", "alice", "north", ("unobtainium", 1, 500.00m), FaultKind.LostActivityResult, 0.5 },
        { "insufficient credit", "bob", "north", ("gizmo", 1, 99.00m), FaultKind.LostActivityResult, 0.5 },
        { "no courier", "alice", "west", ("widget", 2, 10.00m), FaultKind.LostActivityResult, 0.5 },
        { "happy", "alice", "north", ("widget", 2, 10.00m), FaultKind.WorkflowStreamDrop, 0.25 },
        { "no courier", "alice", "west", ("widget", 2, 10.00m), FaultKind.WorkflowStreamDrop, 0.25 },
    };

    /// <summary>
    /// Determinism: the same order run straight and with its turns replayed (a dropped stream hands
    /// a turn to the reconnected worker again) or its activities run again (a lost result) leaves
    /// the same state in every participant and the same step log.
    /// </summary>
    [Theory]
    [MemberData(nameof(Replays))]
    public async Task WorkflowReplayedTurnsAndActivitiesLeaveTheSameEffectsAsAStraightRun(
        string outcome, string customer, string zone, (string, int, decimal) line, FaultKind fault, double probability)
    {
        var straight = await RunOnceAsync(new FaultPlan(1), customer, zone, line);
        var faults = new FaultPlan(23).With(fault, probability);
        var replayed = await RunOnceAsync(faults, customer, zone, line);

        Assert.True(faults.Injected.GetValueOrDefault(fault) > 0, $"{outcome}: no {fault} injected");
        Assert.Equal(straight.Effects, replayed.Effects);
        Assert.True(replayed.Redispatched > 0);
    }

    private static async Task<(string Effects, long Redispatched)> RunOnceAsync(FaultPlan faults, string customer, string zone, (string, int, decimal) line)
    {
        await using var cluster = await SagaCluster.StartAsync(faults);
        var id = await cluster.StartWorkflowAsync(customer, zone, autoConfirmPayment: true, line);
        await cluster.SettleProcessAsync(id);
        return (await EffectsAsync(cluster, id, customer, line.Item1), cluster.Testbed.Workflows(AppIds.OrderProcessService).Redispatched);
    }

    /// <summary>What every service holds for the order, without ids or times (which differ per run).</summary>
    private static async Task<string> EffectsAsync(SagaCluster cluster, string id, string customer, string product)
    {
        var process = await cluster.ProcessAsync(id);
        var effects = new JsonObject
        {
            ["process"] = $"{process["engine"]} {process["status"]} {process["cancellationReason"]}",
            ["steps"] = string.Join(", ", process["steps"]!.AsArray().Select(s => $"{s!["name"]}:{s["outcome"]}:{s["compensated"]}")),
            ["order"] = Of(await cluster.OrderAsync(id), "status", "cancellationReason", "flow"),
            ["product"] = Of(await cluster.ProductAsync(product), "onHand", "reserved", "sold"),
            ["reservation"] = await OptionalAsync(cluster.Inventory, $"/reservations/{id}", "status"),
            ["payment"] = await OptionalAsync(cluster.Payment, $"/payments/{id}", "status", "amount"),
            ["delivery"] = await OptionalAsync(cluster.Delivery, $"/deliveries/{id}", "status", "courierId"),
        };
        if (customer != "zed") effects["credit"] = (decimal)(await cluster.CustomerAsync(customer))["credit"]!;
        foreach (var courier in new[] { "c-north-1", "c-north-2", "c-south-1", "c-east-1" })
            effects[courier] = (int)(await cluster.CourierAsync(courier))["activeDeliveries"]!;
        return effects.ToJsonString();
    }

    private static string Of(JsonObject resource, params string[] fields) => string.Join(" ", fields.Select(f => resource[f]?.ToJsonString() ?? "null"));

    private static async Task<string> OptionalAsync(ServiceUnderTest service, string path, params string[] fields)
    {
        using var response = await service.Http.GetAsync(new Uri(path, UriKind.Relative));
        if (!response.IsSuccessStatusCode) return $"{(int)response.StatusCode}";
        var body = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<JsonObject>(response.Content);
        return Of(body!, fields);
    }
}
