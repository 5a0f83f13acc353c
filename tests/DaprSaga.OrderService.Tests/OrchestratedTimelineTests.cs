using DaprSaga.OrderService.Orders;
using DaprSaga.OrderService.Timeline;

namespace DaprSaga.OrderService.Tests;

/// <summary>
/// An orchestrated order's timeline: order-service's own steps merged with the orchestrator's
/// step log (as GET /order-processes/{id} answers it for either engine), and the engine the
/// orchestrator names when it creates the order.
/// </summary>
public sealed class OrchestratedTimelineTests
{
    private const string Id = "5b1d7c9e2f4a4b6c8d0e1f2a3b4c5d6e";
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(int milliseconds) => T0.AddMilliseconds(milliseconds);

    private static Order Placed(SagaEngine? engine = SagaEngine.Runner, SagaFlow flow = SagaFlow.Orchestration) =>
        Order.Place(Id, flow, new NewOrder("alice", [new OrderLine("widget", 2, 10.00m)], "north", AutoConfirmPayment: true, engine), T0);

    private static OrderProcessView Process(
        SagaEngine engine, ProcessStatus status, CancellationReason? reason, DateTimeOffset updatedAt, params ProcessStepView[] steps) =>
        new(Id, engine, status, steps.Length > 0 ? steps[^1].Name : "CreateOrder", steps, reason, T0, updatedAt);

    private static List<string> Lines(SagaTimeline timeline) =>
        timeline.Steps.Select(s => $"{s.Service} {s.Action} {s.Outcome}{(s.Compensation ? " compensation" : "")}").ToList();

    /// <summary>Out of stock: the order is created, the reservation refused, the order cancelled by the compensation.</summary>
    private static (Order Order, OrderProcessView Process) OutOfStock(DateTimeOffset? cancelOrderAt)
    {
        var cancelled = Placed().Take(OrderTrigger.Compensate(CancellationReason.OutOfStock), At(4))!;
        var process = Process(SagaEngine.Runner, ProcessStatus.Cancelled, CancellationReason.OutOfStock, At(6),
            new ProcessStepView("CreateOrder", AppIds.OrderService, StepAnswer.Done, At(2), Compensated: true, CompensatedAt: cancelOrderAt),
            new ProcessStepView("ReserveStock", AppIds.InventoryService, StepAnswer.Refused, At(3), CancellationReason.OutOfStock));
        return (cancelled, process);
    }

    [Fact]
    public void TheOrchestratorsCommandsAndCompensationsAreMergedWithOrderServicesStepsInTimeOrder()
    {
        var (order, process) = OutOfStock(cancelOrderAt: At(5));

        var timeline = SagaTimeline.Of(order, new OrchestratorAnswer(OrchestratorLane.Drawn, process));

        Assert.Equal(
        [
            "order-service order-placed Published",
            "order-process-service CreateOrder Done",
            "order-process-service ReserveStock Refused",
            "order-service order-cancelled Published compensation",
            "order-process-service CancelOrder Done compensation",
        ], Lines(timeline));
        Assert.Equal((SagaEngine.Runner, OrchestratorLane.Drawn), (timeline.Engine, timeline.Orchestrator));
        var refused = timeline.Steps.Single(s => s.Action == "ReserveStock");
        Assert.Equal((AppIds.InventoryService, CancellationReason.OutOfStock, "Refused: OutOfStock"),
            (refused.Participant, refused.Detail.Reason, refused.Note));
        var undo = timeline.Steps.Single(s => s.Action == "CancelOrder");
        Assert.Equal((At(5), AppIds.OrderService), (undo.At, undo.Participant));
    }

    [Fact]
    public void CompensationsWithoutATimeComeAtTheOrchestratorsLastChangeInReverseAndStepsWithoutOneAreSkipped()
    {
        var process = Process(SagaEngine.Workflow, ProcessStatus.Cancelled, CancellationReason.NoCourierAvailable, At(20),
            new ProcessStepView("CreateOrder", AppIds.OrderService, StepAnswer.Done, At(1), Compensated: true),
            new ProcessStepView("ReserveStock", AppIds.InventoryService, StepAnswer.Done, At(2), Compensated: true),
            // Pre-authorised (autoConfirmPayment), the payment is settled by its create: no ConfirmPayment step.
            new ProcessStepView("CreatePayment", AppIds.PaymentService, StepAnswer.Done, At(3), Compensated: true),
            // Engines may mark a step without a compensation compensated as they walk back past it.
            new ProcessStepView("ConfirmOrder", AppIds.OrderService, StepAnswer.Done, At(5), Compensated: true),
            new ProcessStepView("ScheduleDelivery", AppIds.DeliveryService, StepAnswer.Refused, At(6), CancellationReason.NoCourierAvailable));

        var steps = SagaTimeline.OrchestratorStepsOf(process).ToList();

        Assert.Equal(
            ["VoidPayment", "ReleaseStock", "CancelOrder"],
            steps.Where(s => s.Compensation).Select(s => s.Action));
        Assert.All(steps.Where(s => s.Compensation), s => Assert.Equal((At(20), StepOutcome.Done), (s.At, s.Outcome)));
        Assert.Equal(
            [AppIds.PaymentService, AppIds.InventoryService, AppIds.OrderService],
            steps.Where(s => s.Compensation).Select(s => s.Participant));
        Assert.All(steps, s => Assert.Equal(AppIds.OrderProcessService, s.Service));
    }

    [Fact]
    public void OnOneInstantOrderServicesStepComesBeforeTheOrchestratorsAnswerToIt()
    {
        var order = Placed();
        var process = Process(SagaEngine.Runner, ProcessStatus.Running, null, T0,
            new ProcessStepView("CreateOrder", AppIds.OrderService, StepAnswer.Done, T0));

        var timeline = SagaTimeline.Of(order, new OrchestratorAnswer(OrchestratorLane.Drawn, process));

        Assert.Equal(["order-service order-placed Published", "order-process-service CreateOrder Done"], Lines(timeline));
    }

    [Fact]
    public void APreauthorisedPaymentRefusedForCreditIsRefusedAtCreatePaymentAndVoidedAsItsCompensation()
    {
        var process = Process(SagaEngine.Runner, ProcessStatus.Cancelled, CancellationReason.InsufficientCredit, At(9),
            new ProcessStepView("CreateOrder", AppIds.OrderService, StepAnswer.Done, At(1), Compensated: true, CompensatedAt: At(8)),
            new ProcessStepView("ReserveStock", AppIds.InventoryService, StepAnswer.Done, At(2), Compensated: true, CompensatedAt: At(7)),
            new ProcessStepView("CreatePayment", AppIds.PaymentService, StepAnswer.Refused, At(3), CancellationReason.InsufficientCredit));

        var steps = SagaTimeline.OrchestratorStepsOf(process).ToList();

        Assert.Equal(["CreateOrder", "ReserveStock", "CreatePayment", "ReleaseStock", "CancelOrder"], steps.Select(s => s.Action));
        var refused = steps.Single(s => s.Action == "CreatePayment");
        Assert.Equal((StepOutcome.Refused, AppIds.PaymentService, "Refused: InsufficientCredit"), (refused.Outcome, refused.Participant, refused.Note));
    }

    [Fact]
    public void AWaitingStepIsShownAsWaiting()
    {
        var process = Process(SagaEngine.Runner, ProcessStatus.WaitingForPayment, null, At(3),
            new ProcessStepView("ConfirmPayment", AppIds.PaymentService, StepAnswer.Waiting, At(2)));

        var step = Assert.Single(SagaTimeline.OrchestratorStepsOf(process));

        Assert.Equal((StepOutcome.Waiting, "Waiting"), (step.Outcome, step.Note));
    }

    [Fact]
    public void TheOrdersOwnEngineWinsAndAnOrderThatNamedNoneTakesTheOrchestratorsEngine()
    {
        var workflow = Process(SagaEngine.Workflow, ProcessStatus.Running, null, T0);

        Assert.Equal(SagaEngine.Runner, SagaTimeline.Of(Placed(SagaEngine.Runner), new(OrchestratorLane.Drawn, workflow)).Engine);
        Assert.Equal(SagaEngine.Workflow, SagaTimeline.Of(Placed(engine: null), new(OrchestratorLane.Drawn, workflow)).Engine);
        Assert.Null(SagaTimeline.Of(Placed(engine: null), OrchestratorAnswer.Unavailable).Engine);
    }

    [Fact]
    public void WithoutTheOrchestratorsAnswerTheTimelineShowsWhatOrderServiceKnowsAndSaysTheLaneIsUnavailable()
    {
        var (order, _) = OutOfStock(cancelOrderAt: null);

        var timeline = SagaTimeline.Of(order, OrchestratorAnswer.Unavailable);

        Assert.Equal(["order-service order-placed Published", "order-service order-cancelled Published compensation"], Lines(timeline));
        Assert.Equal((OrchestratorLane.Unavailable, AppIds.OrderProcessService), (timeline.Orchestrator, timeline.Services[0]));
    }

    [Fact]
    public void AChoreographedOrderHasNoEngineNoOrchestratorLaneAndIgnoresAnyStepLog()
    {
        var order = Placed(engine: SagaEngine.Workflow, flow: SagaFlow.Choreography);
        var process = Process(SagaEngine.Workflow, ProcessStatus.Running, null, T0,
            new ProcessStepView("CreateOrder", AppIds.OrderService, StepAnswer.Done, At(1)));

        var timeline = SagaTimeline.Of(order, new OrchestratorAnswer(OrchestratorLane.Drawn, process));

        Assert.Equal((null, null), (timeline.Engine, timeline.Orchestrator));
        Assert.DoesNotContain(AppIds.OrderProcessService, timeline.Services);
        Assert.Equal(["order-service order-placed Published"], Lines(timeline));
        Assert.Null(order.Engine);
    }
}

/// <summary>The engine through order-service's HTTP API, and the timeline's one call to the orchestrator.</summary>
public sealed class OrchestratedTimelineApiTests : ServiceTest
{
    private const string Id = "7c2e4a6b8d0f4e1a9b3c5d7e9f1a2b3c";
    private const string Orchestrator = AppIds.OrderProcessService;

    private static object Body(object? engine) => new
    {
        customerId = "alice",
        items = new[] { new { productId = "widget", quantity = 2, unitPrice = 10.00m } },
        deliveryZone = "north",
        engine,
    };

    private async Task<JsonObject> JsonAsync(string path)
    {
        using var response = await Host.Http.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Theory]
    [InlineData("Workflow", "Workflow")]
    [InlineData("workflow", "Workflow")]
    [InlineData("Runner", "Runner")]
    [InlineData(null, null)]
    public async Task TheEngineTheOrchestratorNamesIsStoredAndShownInTheOrderAndItsListing(string? sent, string? shown)
    {
        using var created = await Host.CreateOrchestratedAsync(Id, Body(sent), Orchestrator);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        Assert.Equal(shown, (string?)(await JsonAsync($"/orders/{Id}"))["engine"]);
        var listed = (await JsonAsync("/orders?flow=Orchestration"))["items"]!.AsArray().Single()!;
        Assert.Equal(shown, (string?)listed["engine"]);
    }

    [Theory]
    [InlineData("\"Saga\"")]
    [InlineData("\"\"")]
    [InlineData("1")]
    public async Task AnEngineThatIsNoneOfTheEnginesIsRefusedNamingTheField(string engine)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/orders/{Id}")
        {
            Content = new StringContent(
                $$"""{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":10.00}],"deliveryZone":"north","engine":{{engine}}}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("dapr-caller-app-id", Orchestrator);
        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Contains("Workflow", (string?)problem!["errors"]!["engine"]![0], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync($"/orders/{Id}")).StatusCode);
    }

    [Fact]
    public async Task AChoreographedOrderHasNoEngineAndItsTimelineAsksNoOneElse()
    {
        var placed = await Host.PlaceAsync();
        var invocations = Host.Sidecar.Calls[SidecarCallKind.Invoke];

        var timeline = await JsonAsync($"/orders/{placed.OrderId}/timeline");

        Assert.Equal(invocations, Host.Sidecar.Calls[SidecarCallKind.Invoke]);
        Assert.Null((string?)(await JsonAsync($"/orders/{placed.OrderId}"))["engine"]);
        Assert.Null((string?)timeline["orchestrator"]);
        Assert.Null((string?)timeline["engine"]);
    }

    [Fact]
    public async Task WhenTheOrchestratorDoesNotAnswerTheTimelineStillShowsOrderServicesStepsWithOneCall()
    {
        // No order-process-service in this testbed: its sidecar cannot be found, as when it is down.
        using var created = await Host.CreateOrchestratedAsync(Id, Body("Runner"), Orchestrator);
        var invocations = Host.Sidecar.Calls[SidecarCallKind.Invoke];

        var timeline = await JsonAsync($"/orders/{Id}/timeline");

        Assert.Equal(invocations + 1, Host.Sidecar.Calls[SidecarCallKind.Invoke]);
        Assert.Equal(("Unavailable", "Runner"), ((string?)timeline["orchestrator"], (string?)timeline["engine"]));
        Assert.Equal(
            [Topics.OrderPlaced],
            timeline["steps"]!.AsArray().Select(s => (string?)s!["action"]));
        Assert.Equal(AppIds.OrderProcessService, (string?)timeline["services"]![0]);
    }

}
