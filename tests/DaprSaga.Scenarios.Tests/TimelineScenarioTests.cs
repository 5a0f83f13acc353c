
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// GET /orders/{id}/timeline built from the events the real participants publish, for both
/// flows. The shared clock ticks 1 ms on every read, so each step has its own instant and the
/// timeline's order is the order things happened in, as with a real clock.
/// </summary>
public sealed class TimelineScenarioTests() : HostedTest<SagaCluster>(StartAsync)
{
    private static async Task<SagaCluster> StartAsync()
    {
        var cluster = await SagaCluster.StartAsync();
        cluster.Clock.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);
        return cluster;
    }

    private async Task<JsonObject> TimelineAsync(string id)
    {
        using var response = await Host.Order.Http.GetAsync(new Uri($"/orders/{id}/timeline", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static List<string> StepsOf(JsonObject timeline) =>
        timeline["steps"]!.AsArray()
            .Select(s => $"{s!["service"]} {s["action"]} {s["outcome"]}{((bool)s["compensation"]! ? " compensation" : "")}")
            .ToList();

    private static JsonNode Step(JsonObject timeline, string action) =>
        timeline["steps"]!.AsArray().Single(s => (string?)s!["action"] == action)!;

    /// <summary>What every paid choreography shows before delivery-service answers.</summary>
    private static readonly string[] ChoreographyUpToDelivery =
    [
        "order-service order-placed Published",
        "inventory-service stock-reserved Recorded",
        "payment-service payment-requested Applied",
        "payment-service payment-confirmed Applied",
        "order-service order-confirmed Published",
    ];

    [Fact]
    public async Task AHappyChoreographyShowsEveryServicesStepInTheOrderTheyHappened()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 2, 10.00m));
        await Host.QuiesceAsync();
        Assert.Equal(HttpStatusCode.OK, await Host.ActAsync(CustomerAction.ConfirmPayment, id));
        await Host.QuiesceAsync();

        var timeline = await TimelineAsync(id);
        Assert.Equal((id, "Choreography", "Completed"), ((string?)timeline["orderId"], (string?)timeline["flow"], (string?)timeline["status"]));
        Assert.Equal(
            [AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService],
            timeline["services"]!.AsArray().Select(s => (string?)s));
        Assert.Equal(
        [
            .. ChoreographyUpToDelivery,
            "delivery-service delivery-scheduled Applied",
            "order-service order-completed Published",
            "inventory-service stock-committed Recorded",
        ], StepsOf(timeline));
        Assert.Equal("customer", (string?)Step(timeline, Topics.OrderPlaced)["requestedBy"]);
        Assert.Equal(20.00m, (decimal)Step(timeline, Topics.PaymentConfirmed)["detail"]!["amount"]!);
        Assert.StartsWith("c-north", (string?)Step(timeline, Topics.DeliveryScheduled)["detail"]!["courierId"], StringComparison.Ordinal);
        var times = timeline["steps"]!.AsArray().Select(s => DateTimeOffset.Parse((string)s!["at"]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public async Task TheHistoryKeepsWhoPublishedEachEventWhenAndWhatItSaid()
    {
        var id = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();

        var history = (await Host.OrderAsync(id))["history"]!.AsArray();
        var scheduled = history.Single(h => (string?)h!["trigger"] == Topics.DeliveryScheduled)!;
        Assert.Equal((AppIds.DeliveryService, true), ((string?)scheduled["publisher"], (bool)scheduled["applied"]!));
        Assert.NotNull((string?)scheduled["detail"]!["courierId"]);
        var delivery = await Host.DeliveryAsync(id);
        Assert.Equal((string?)delivery["courierId"], (string?)scheduled["detail"]!["courierId"]);
        Assert.True(DateTimeOffset.Parse((string)scheduled["occurredAt"]!, System.Globalization.CultureInfo.InvariantCulture)
            <= DateTimeOffset.Parse((string)scheduled["at"]!, System.Globalization.CultureInfo.InvariantCulture));
        var reserved = history.Single(h => (string?)h!["trigger"] == Topics.StockReserved)!;
        Assert.Equal(("inventory-service", false, 10.00m), ((string?)reserved["publisher"], (bool)reserved["applied"]!, (decimal)reserved["detail"]!["amount"]!));
    }

    [Fact]
    public async Task AFailedChoreographyShowsTheCancellationAndEveryCompensationAfterIt()
    {
        // Zone west has no courier: the order is cancelled after payment, so stock and payment are undone.
        var id = await Host.PlaceOrderAsync("alice", "west", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Host.QuiesceAsync();

        var timeline = await TimelineAsync(id);
        Assert.Equal(("Cancelled", "NoCourierAvailable"), ((string?)timeline["status"], (string?)timeline["cancellationReason"]));
        var steps = StepsOf(timeline);
        Assert.Equal(
        [
            // Pre-authorised, the payment is confirmed without asking the customer: nothing is requested.
            .. ChoreographyUpToDelivery.Where(s => !s.Contains(Topics.PaymentRequested, StringComparison.Ordinal)),
            "delivery-service delivery-failed Applied",
            "order-service order-cancelled Published compensation",
        ], steps[..6]);
        // Inventory and payment compensate side by side, each on order-cancelled.
        Assert.Equal(
            ["inventory-service stock-released Recorded compensation", "payment-service payment-refunded Recorded compensation"],
            steps[6..].Order(StringComparer.Ordinal));
        Assert.Equal("NoCourierAvailable", (string?)Step(timeline, Topics.DeliveryFailed)["detail"]!["reason"]);
        Assert.Equal("NoCourierAvailable", (string?)Step(timeline, Topics.OrderCancelled)["detail"]!["reason"]);
        Assert.Equal(20.00m, (decimal)Step(timeline, Topics.PaymentRefunded)["detail"]!["amount"]!);
    }

    [Fact]
    public async Task AFailedPaymentIsNoCompensationButTheVoidOfAPendingPaymentIs()
    {
        var refused = await Host.PlaceOrderAsync("bob", "north", autoConfirmPayment: true, ("gizmo", 1, 99.00m));
        var voided = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();
        Assert.Equal(HttpStatusCode.Accepted, await Host.ActAsync(CustomerAction.CancelOrder, voided));
        await Host.QuiesceAsync();

        var refusal = Step(await TimelineAsync(refused), Topics.PaymentCancelled);
        Assert.Equal(("InsufficientCredit", false), ((string?)refusal["detail"]!["reason"], (bool)refusal["compensation"]!));
        var timeline = await TimelineAsync(voided);
        var voidStep = Step(timeline, Topics.PaymentCancelled);
        Assert.Equal(("CustomerCancelled", true), ((string?)voidStep["detail"]!["reason"], (bool)voidStep["compensation"]!));
        Assert.Equal("customer", (string?)Step(timeline, Topics.OrderCancelled)["requestedBy"]);
    }

    /// <summary>The orchestrator's own steps: "{command} {outcome}", compensations marked, in the timeline's order.</summary>
    private static List<string> OrchestratorStepsOf(JsonObject timeline) =>
        timeline["steps"]!.AsArray()
            .Where(s => (string?)s!["service"] == AppIds.OrderProcessService)
            .Select(s => $"{s!["action"]} {s["outcome"]}{((bool)s["compensation"]! ? " compensation" : "")}")
            .ToList();

    private static List<string> ParticipantStepsOf(JsonObject timeline) =>
        StepsOf(timeline).Where(s => !s.StartsWith(AppIds.OrderProcessService + " ", StringComparison.Ordinal)).ToList();

    /// <summary>
    /// The timeline names the engine the order has (the orchestrator's, when the order was created
    /// without one), so these tests hold for either engine.
    /// </summary>
    private async Task AssertEngineAsync(string id, JsonObject timeline)
    {
        var engine = (string?)(await Host.OrderAsync(id))["engine"] ?? (string?)(await Host.ProcessAsync(id))["engine"];
        Assert.Contains(engine, new[] { "Workflow", "Runner" });
        Assert.Equal((engine, "Drawn"), ((string?)timeline["engine"], (string?)timeline["orchestrator"]));
    }

    [Fact]
    public async Task AHappyOrchestrationShowsEachCommandOfTheOrchestratorBesideTheParticipantsFacts()
    {
        var id = await Host.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Host.SettleProcessAsync(id);

        var timeline = await TimelineAsync(id);
        Assert.Equal(("Orchestration", "Completed"), ((string?)timeline["flow"], (string?)timeline["status"]));
        await AssertEngineAsync(id, timeline);
        Assert.Equal(
            [AppIds.OrderProcessService, AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService],
            timeline["services"]!.AsArray().Select(s => (string?)s));
        Assert.Equal(
        [
            "CreateOrder Done", "ReserveStock Done", "CreatePayment Done", "ConfirmOrder Done",
            "ScheduleDelivery Done", "CompleteOrder Done",
        ], OrchestratorStepsOf(timeline));
        Assert.Equal(
            [AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.OrderService, AppIds.DeliveryService, AppIds.OrderService],
            timeline["steps"]!.AsArray().Where(s => (string?)s!["service"] == AppIds.OrderProcessService).Select(s => (string?)s!["participant"]));
        Assert.Equal(
        [
            "order-service order-placed Published",
            "inventory-service stock-reserved Recorded",
            "payment-service payment-confirmed Recorded",
            "order-service order-confirmed Published",
            "delivery-service delivery-scheduled Recorded",
            "inventory-service stock-committed Recorded",
            "order-service order-completed Published",
        ], ParticipantStepsOf(timeline));
        Assert.All(
            timeline["steps"]!.AsArray().Where(s => (string?)s!["service"] == AppIds.OrderService),
            s => Assert.Equal(AppIds.OrderProcessService, (string?)s!["requestedBy"]));
        var times = timeline["steps"]!.AsArray().Select(s => DateTimeOffset.Parse((string)s!["at"]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Order(), times);
    }

    public static TheoryData<string, string, (string, int, decimal), string, string[]> Refusals => new()
    {
        {
            "alice", "north", ("unobtainium", 1, 500.00m), "OutOfStock",
            ["CreateOrder Done", "ReserveStock Refused", "CancelOrder Done compensation"]
        },
        {
            "bob", "north", ("gizmo", 1, 99.00m), "InsufficientCredit",
            ["CreateOrder Done", "ReserveStock Done", "CreatePayment Refused",
             "ReleaseStock Done compensation", "CancelOrder Done compensation"]
        },
        {
            "alice", "west", ("widget", 2, 10.00m), "NoCourierAvailable",
            ["CreateOrder Done", "ReserveStock Done", "CreatePayment Done", "ConfirmOrder Done",
             "ScheduleDelivery Refused", "VoidPayment Done compensation", "ReleaseStock Done compensation", "CancelOrder Done compensation"]
        },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ARefusedOrchestrationShowsTheRefusedCommandThenItsCompensationsInReverse(
        string customer, string zone, (string, int, decimal) line, string reason, string[] commands)
    {
        var id = await Host.StartProcessAsync(customer, zone, autoConfirmPayment: true, line);
        await Host.SettleProcessAsync(id);

        var timeline = await TimelineAsync(id);
        await AssertEngineAsync(id, timeline);
        Assert.Equal(commands, OrchestratorStepsOf(timeline));
        var refused = timeline["steps"]!.AsArray().Single(s => (string?)s!["outcome"] == "Refused")!;
        Assert.Equal((reason, $"Refused: {reason}"), ((string?)refused["detail"]!["reason"], (string?)refused["note"]));
        // The order is cancelled by the orchestrator's compensation, never before the refusal.
        var steps = StepsOf(timeline);
        Assert.True(
            steps.IndexOf("order-service order-cancelled Published compensation") > steps.FindIndex(s => s.EndsWith(" Refused", StringComparison.Ordinal)),
            string.Join("\n", steps));
        var cancelOrder = timeline["steps"]!.AsArray().Single(s => (string?)s!["action"] == "CancelOrder")!;
        Assert.Equal((AppIds.OrderService, reason), ((string?)cancelOrder["participant"], (string?)cancelOrder["detail"]!["reason"]));
    }

    [Fact]
    public async Task AFailedOrchestrationShowsItsCompensationsInReverseThenTheCancellation()
    {
        var id = await Host.StartProcessAsync("alice", "west", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await Host.SettleProcessAsync(id);

        var steps = ParticipantStepsOf(await TimelineAsync(id));
        Assert.Equal(
        [
            "delivery-service delivery-failed Recorded",
            "payment-service payment-refunded Recorded compensation",
            "inventory-service stock-released Recorded compensation",
            "order-service order-cancelled Published compensation",
        ], steps[^4..]);
    }

    [Fact]
    public async Task ATimelineAsksTheOrchestratorOnceForAnOrchestratedOrderAndNeverForAChoreographedOne()
    {
        var orchestrated = await Host.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(orchestrated);
        var choreographed = await Host.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.QuiesceAsync();
        var calls = Host.Order.Sidecar.Calls;

        var before = calls[SidecarCallKind.Invoke];
        await TimelineAsync(orchestrated);
        Assert.Equal(before + 1, calls[SidecarCallKind.Invoke]);
        await TimelineAsync(choreographed);
        Assert.Equal(before + 1, calls[SidecarCallKind.Invoke]);
    }

    [Fact]
    public async Task WithTheOrchestratorDownAnOrchestratedTimelineShowsWhatOrderServiceKnowsAndSaysItsLaneIsUnavailable()
    {
        var id = await Host.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id);
        await Host.Process.StopAsync();

        var timeline = await TimelineAsync(id);

        Assert.Equal("Unavailable", (string?)timeline["orchestrator"]);
        Assert.Empty(OrchestratorStepsOf(timeline));
        Assert.Equal(7, ParticipantStepsOf(timeline).Count);
        Assert.Equal(AppIds.OrderProcessService, (string?)timeline["services"]![0]);
    }

    [Fact]
    public async Task AnUnknownOrderHasNoTimelineAndAMalformedIdIsRefused()
    {
        Assert.Equal(HttpStatusCode.NotFound, await SagaCluster.StatusOfAsync(Host.Order, "/orders/no-such-order/timeline"));
        Assert.Equal(HttpStatusCode.BadRequest, await SagaCluster.StatusOfAsync(Host.Order, "/orders/bad%20id/timeline"));
    }
}
