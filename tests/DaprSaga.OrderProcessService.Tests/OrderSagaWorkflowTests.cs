using DaprSaga.OrderProcessService.Saga;
using DaprSaga.OrderProcessService.Workflows;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>Every branch of the saga on Dapr Workflow, one generation at a time on a fake context.</summary>
public sealed class OrderSagaWorkflowTests
{
    private static readonly DateTime StartedAt = new(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc);
    private static readonly string[] AllSteps = [.. OrderSaga.Steps.Select(s => s.Name)];

    // With autoConfirmPayment the payment is created pre-authorised, as the API starts it: ConfirmPayment does not apply.
    private static readonly string[] PreauthorisedSteps = [.. AllSteps.Where(s => s != OrderSagaWorkflow.ConfirmPayment)];

    private static OrderSagaInput Input(bool autoConfirmPayment = true, bool? preauthorised = null) =>
        new(new SagaRequest("o-1", "alice", [new OrderLine("widget", 2, 10m)], "north", autoConfirmPayment, Engine: SagaEngine.Workflow,
            PaymentPreauthorised: preauthorised ?? autoConfirmPayment), StartedAt);

    private static FakeWorkflowContext Context(Func<SagaStepCall, StepResult>? participants = null) =>
        new("o-1", StartedAt) { Participants = participants ?? (_ => StepResult.Done) };

    private static Task<OrderSagaStatus> RunAsync(FakeWorkflowContext context, OrderSagaInput input) => new OrderSagaWorkflow().RunAsync(context, input);

    private static IEnumerable<string> Forward(FakeWorkflowContext context) => context.Attempts.Where(a => !a.Compensate).Select(a => a.Step);

    private static IEnumerable<string> Compensations(FakeWorkflowContext context) => context.Attempts.Where(a => a.Compensate).Select(a => a.Step);

    private static void AssertCompensatedInReverse(FakeWorkflowContext context, OrderSagaStatus status, int refusedAt, CancellationReason reason)
    {
        Assert.Equal((ProcessStatus.Cancelled, reason), (status.Status, status.CancellationReason));
        Assert.Equal(OrderSaga.Steps.Take(refusedAt + 1).Where(s => s.Compensation is not null).Select(s => s.Name).Reverse(), Compensations(context));
        Assert.All(context.Attempts.Where(a => a.Compensate), a => Assert.Equal(reason, a.Request.Reason));
        Assert.All(status.Steps.Where(s => s.Outcome == StepAnswer.Done), s => Assert.True(s.Compensated == true && s.CompensatedAt is not null));
        Assert.Equal(status, context.LastStatus);
    }

    [Fact]
    public async Task WorkflowRunsEveryStepOnceInOrderAndCompletes()
    {
        var context = Context();

        var status = await RunAsync(context, Input());

        Assert.Equal(PreauthorisedSteps, Forward(context));
        Assert.Empty(context.Timers);
        Assert.Equal((ProcessStatus.Completed, "Done", null), (status.Status, status.CurrentStep, status.CancellationReason));
        Assert.Equal(PreauthorisedSteps, status.Steps.Select(s => s.Name));
        Assert.All(status.Steps, s => Assert.Equal((StepAnswer.Done, new DateTimeOffset(StartedAt)), (s.Outcome, s.At)));
        Assert.Equal(status, context.LastStatus);
        // The status GET serves moved with every step: the start, then once per step.
        Assert.Equal(1 + PreauthorisedSteps.Length, context.Statuses.Count);
        Assert.DoesNotContain(context.Statuses.Cast<OrderSagaStatus>(), s => s.CurrentStep == OrderSagaWorkflow.ConfirmPayment);
    }

    [Fact]
    public async Task AnAutoConfirmInstanceStartedWithoutPreauthorisationStillConfirmsInItsOwnStep()
    {
        var context = Context();

        var status = await RunAsync(context, Input(autoConfirmPayment: true, preauthorised: false));

        Assert.Equal(AllSteps, Forward(context));
        Assert.Equal(0, context.Waits);
        Assert.Equal(ProcessStatus.Completed, status.Status);
        Assert.Equal(AllSteps, status.Steps.Select(s => s.Name));
    }

    [Fact]
    public async Task WorkflowCompensatesInReverseWhenStockIsOutOfStock()
    {
        var context = Context(c => c is { Step: "ReserveStock", Compensate: false } ? StepResult.Refused(CancellationReason.OutOfStock) : StepResult.Done);

        var status = await RunAsync(context, Input());

        Assert.Equal(["CreateOrder", "ReserveStock"], Forward(context));
        AssertCompensatedInReverse(context, status, refusedAt: 1, CancellationReason.OutOfStock);
        Assert.Equal([(StepAnswer.Done, null), (StepAnswer.Refused, CancellationReason.OutOfStock)], status.Steps.Select(s => (s.Outcome, s.Reason)));
    }

    [Theory]
    [InlineData("CreateOrder", CancellationReason.UnknownProduct)]
    [InlineData("ReserveStock", CancellationReason.PriceChanged)]
    [InlineData("CreatePayment", CancellationReason.UnknownCustomer)]
    [InlineData("CreatePayment", CancellationReason.InsufficientCredit)]
    [InlineData("ConfirmOrder", CancellationReason.SagaTimedOut)]
    [InlineData("ScheduleDelivery", CancellationReason.NoCourierAvailable)]
    public async Task WorkflowCompensatesEveryStepBeforeARefusalUpToThePivotInReverseWithTheReason(string refused, CancellationReason reason)
    {
        var context = Context(c => !c.Compensate && c.Step == refused ? StepResult.Refused(reason) : StepResult.Done);

        var status = await RunAsync(context, Input());

        Assert.Equal(PreauthorisedSteps[..(Array.IndexOf(PreauthorisedSteps, refused) + 1)], Forward(context));
        AssertCompensatedInReverse(context, status, Array.IndexOf(AllSteps, refused), reason);
        Assert.Equal(StepLog.Refused(refused, reason, new DateTimeOffset(StartedAt)), status.Steps[^1]);
    }

    [Fact]
    public async Task WorkflowGoesForwardWhenAStepAfterThePivotIsRefused()
    {
        var refusals = 2;
        var context = Context(c => c.Step == "CompleteOrder" && refusals-- > 0 ? StepResult.Refused(CancellationReason.OutOfStock) : StepResult.Done);

        var status = await RunAsync(context, Input());

        Assert.Equal(ProcessStatus.Completed, status.Status);
        Assert.Empty(Compensations(context));
        Assert.Equal(3, context.Calls("CompleteOrder").Count());
        Assert.Equal([OrderSagaWorkflow.TroubleBackoff, OrderSagaWorkflow.TroubleBackoff], context.Timers);
    }

    [Fact]
    public async Task WorkflowRetriesTransientTroubleByPolicyThenAfterATimerAndNeverCompensatesForIt()
    {
        var failures = 4;
        var context = Context(c => c.Step == "ReserveStock" && failures-- > 0 ? throw new ParticipantUnavailableException(AppIds.InventoryService, "503") : StepResult.Done);

        var status = await RunAsync(context, Input());

        Assert.Equal(ProcessStatus.Completed, status.Status);
        Assert.Empty(Compensations(context));
        // Three attempts under the policy (1 s, then 2 s apart), a durable timer, then a fourth that fails and a fifth that works.
        Assert.Equal(5, context.Calls("ReserveStock").Count());
        Assert.Equal(
            [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), OrderSagaWorkflow.TroubleBackoff, TimeSpan.FromSeconds(1)],
            context.Timers);
        // Times come from the workflow's clock, which the timers moved.
        Assert.Equal(new DateTimeOffset(StartedAt) + TimeSpan.FromSeconds(34), status.Steps.Single(s => s.Name == "ReserveStock").At);
    }

    [Fact]
    public async Task WorkflowWithAParticipantThatStaysDownWaitsAndContinuesAsNewWithItsProgressSoHistoryStaysBounded()
    {
        var courierUp = false;
        var context = Context(c => c.Step == "ScheduleDelivery" && !courierUp ? throw new ParticipantUnavailableException(AppIds.DeliveryService, "down") : StepResult.Done);
        var input = Input();

        var histories = new List<int>();
        for (var generation = 0; generation < 3; generation++)
        {
            var status = await RunAsync(context, input);
            Assert.Equal((ProcessStatus.Running, "ScheduleDelivery"), (status.Status, status.CurrentStep));
            Assert.Empty(Compensations(context));
            input = Assert.IsType<OrderSagaInput>(context.ContinuedAsNewWith);
            Assert.True(context.PreservedUnprocessedEvents);
            histories.Add(context.HistoryActions);
            if (generation > 0) Assert.Equal(["ScheduleDelivery"], Forward(context).Distinct());
            context = context.NextGeneration();
        }

        // Each generation carries the progress and starts at the step that failed, so its history is the same size.
        Assert.Equal(PreauthorisedSteps[..4], input.Progress!.Steps.Select(s => s.Name));
        Assert.Equal([histories[1], histories[1]], histories[1..]);
        // A round: three attempts, two retry delays, and a backoff that also listens for the customer's decision.
        Assert.InRange(histories.Max(), 1, OrderSagaWorkflow.RoundsPerGeneration * 7 + AllSteps.Length);

        courierUp = true;
        var done = await RunAsync(context, input);
        Assert.Equal(ProcessStatus.Completed, done.Status);
        Assert.Equal(["ScheduleDelivery", "CompleteOrder"], Forward(context));
        Assert.Equal(PreauthorisedSteps, done.Steps.Select(s => s.Name));
    }

    [Fact]
    public async Task WorkflowWaitsForTheCustomerAndCompletesWhenThePaymentIsConfirmed()
    {
        var context = Context();
        context.OnWait = _ => context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.PaymentConfirmed));

        var status = await RunAsync(context, Input(autoConfirmPayment: false));

        Assert.Equal(ProcessStatus.Completed, status.Status);
        Assert.Empty(context.Calls("ConfirmPayment")); // the event said it: no read, no confirm by the orchestrator
        Assert.Equal(1, context.Waits);
        Assert.Contains(context.Statuses.Cast<OrderSagaStatus>(), s => s is { Status: ProcessStatus.WaitingForPayment, CurrentStep: "ConfirmPayment" });
        Assert.Equal([StepAnswer.Done, StepAnswer.Done, StepAnswer.Done, StepAnswer.Waiting, StepAnswer.Done], status.Steps.Take(5).Select(s => s.Outcome));
    }

    [Fact]
    public async Task WorkflowCompensatesWhenTheCustomerCancelsThePayment()
    {
        var context = Context();
        context.OnWait = _ => context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.PaymentCancelled, CancellationReason.PaymentCancelled));

        var status = await RunAsync(context, Input(autoConfirmPayment: false));

        Assert.Equal(["CreateOrder", "ReserveStock", "CreatePayment"], Forward(context));
        AssertCompensatedInReverse(context, status, refusedAt: 3, CancellationReason.PaymentCancelled);
    }

    [Fact]
    public async Task WorkflowReadsThePaymentWhenTheWaitTimesOutWaitsAgainAndCompensatesWhenItExpired()
    {
        var reads = 0;
        var context = Context(c => c is { Step: "ConfirmPayment", Compensate: false }
            ? ++reads == 1 ? StepResult.Waiting : StepResult.Refused(CancellationReason.PaymentExpired)
            : StepResult.Done);

        var status = await RunAsync(context, Input(autoConfirmPayment: false));

        Assert.Equal((2, 2), (context.Waits, reads));
        Assert.Equal([OrderSagaWorkflow.PaymentCheckInterval, OrderSagaWorkflow.PaymentCheckInterval], context.Timers);
        AssertCompensatedInReverse(context, status, refusedAt: 3, CancellationReason.PaymentExpired);
        Assert.Single(status.Steps, s => s.Outcome == StepAnswer.Waiting);
    }

    [Theory]
    // A read after a timeout finds the payment confirmed whose event was missed.
    [InlineData(false, 1)]
    // A confirmation that arrived before the wait began is taken without confirming again.
    [InlineData(true, 0)]
    public async Task WorkflowCompletesOnAConfirmationMissedDuringTheWaitOrArrivedBeforeIt(bool confirmedBeforeTheWait, int confirmPaymentCalls)
    {
        var context = Context();
        if (confirmedBeforeTheWait)
            context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.PaymentConfirmed));

        var status = await RunAsync(context, Input(autoConfirmPayment: false));

        Assert.Equal(ProcessStatus.Completed, status.Status);
        Assert.Equal(1, context.Waits);
        Assert.Equal(confirmPaymentCalls, context.Calls("ConfirmPayment").Count());
    }

    [Fact]
    public async Task WorkflowActsOnTheFirstDecisionAndIgnoresARepeatOrALaterOne()
    {
        var context = Context();
        context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.PaymentConfirmed));
        context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.PaymentConfirmed));
        context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.PaymentCancelled, CancellationReason.PaymentExpired));

        var status = await RunAsync(context, Input(autoConfirmPayment: false));

        Assert.Equal((ProcessStatus.Completed, null), (status.Status, status.CancellationReason));
        Assert.Empty(Compensations(context));
        Assert.Equal(1, context.Waits);
    }

    [Fact]
    public async Task WorkflowCompensatesWithTheOrdersReasonWhenTheCustomerCancelsTheOrderWhileWaiting()
    {
        var context = Context(c => c is { Step: "ConfirmPayment", Compensate: false } ? StepResult.Waiting : StepResult.Done);
        context.OnWait = waits =>
        {
            if (waits == 2) context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.OrderCancelled, CancellationReason.CustomerCancelled));
        };

        var status = await RunAsync(context, Input(autoConfirmPayment: false));

        Assert.Equal(3, context.Waits);
        AssertCompensatedInReverse(context, status, refusedAt: 3, CancellationReason.CustomerCancelled);
        Assert.Equal(CancellationReason.CustomerCancelled, context.Calls("CreateOrder", compensate: true).Single().Request.Reason);
    }

    [Fact]
    public async Task WorkflowWaitingLongContinuesAsNewStillWaitingAndTakesTheDecisionInTheNextGeneration()
    {
        var context = Context(c => c is { Step: "ConfirmPayment", Compensate: false } ? StepResult.Waiting : StepResult.Done);

        var first = await RunAsync(context, Input(autoConfirmPayment: false));

        Assert.Equal((ProcessStatus.WaitingForPayment, "ConfirmPayment"), (first.Status, first.CurrentStep));
        Assert.Equal(OrderSagaWorkflow.RoundsPerGeneration, context.Waits);
        var input = Assert.IsType<OrderSagaInput>(context.ContinuedAsNewWith);
        Assert.True(context.PreservedUnprocessedEvents);
        var next = context.NextGeneration();
        next.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.PaymentConfirmed));

        var status = await RunAsync(next, input);

        Assert.Equal(ProcessStatus.Completed, status.Status);
        Assert.Equal(["ConfirmOrder", "ScheduleDelivery", "CompleteOrder"], Forward(next));
        Assert.Single(status.Steps, s => s.Outcome == StepAnswer.Waiting);
    }

    [Fact]
    public async Task WorkflowRetriesACompensationThatMeetsTroubleAndNeverSkipsIt()
    {
        var failures = 3;
        var context = Context(c => c switch
        {
            { Step: "CreatePayment", Compensate: false } => StepResult.Refused(CancellationReason.InsufficientCredit),
            { Step: "ReserveStock", Compensate: true } when failures-- > 0 => throw new ParticipantUnavailableException(AppIds.InventoryService, "503"),
            _ => StepResult.Done,
        });

        var status = await RunAsync(context, Input());

        Assert.Equal(4, context.Calls("ReserveStock", compensate: true).Count());
        Assert.Equal(["CreatePayment", "ReserveStock", "ReserveStock", "ReserveStock", "ReserveStock", "CreateOrder"], Compensations(context));
        Assert.Equal((ProcessStatus.Cancelled, CancellationReason.InsufficientCredit), (status.Status, status.CancellationReason));
    }

    [Fact]
    public async Task OutsideCancelHeardWhileTheWorkflowBacksOffCompensatesWithoutAnotherAttempt()
    {
        var context = Context(c => c is { Step: "CreatePayment", Compensate: false }
            ? throw new ParticipantUnavailableException(AppIds.PaymentService, "down")
            : StepResult.Done);
        context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.OrderCancelled, CancellationReason.CustomerCancelled));

        var status = await RunAsync(context, Input(autoConfirmPayment: true));

        Assert.Equal((ProcessStatus.Cancelled, CancellationReason.CustomerCancelled), (status.Status, status.CancellationReason));
        // One round of retries, one backoff that heard the cancel, then the compensations in reverse.
        Assert.Equal([OrderSagaWorkflow.TroubleBackoff], context.Timers.Where(t => t == OrderSagaWorkflow.TroubleBackoff));
        Assert.Equal(["CreatePayment", "ReserveStock", "CreateOrder"], context.Attempts.Where(a => a.Compensate).Select(a => a.Step));
    }

    [Fact]
    public async Task PaymentDecisionHeardWhileTheWorkflowBacksOffEndsTheLaterPaymentWait()
    {
        var attempts = 0;
        var context = Context(c => c is { Step: "CreatePayment", Compensate: false } && ++attempts <= 3
            ? throw new ParticipantUnavailableException(AppIds.PaymentService, "down")
            : StepResult.Done);
        context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.PaymentConfirmed));

        var status = await RunAsync(context, Input(autoConfirmPayment: false));

        Assert.Equal(ProcessStatus.Completed, status.Status);
        Assert.DoesNotContain(OrderSagaWorkflow.PaymentCheckInterval, context.Timers);
        Assert.Empty(context.Calls("ConfirmPayment"));
    }
}
