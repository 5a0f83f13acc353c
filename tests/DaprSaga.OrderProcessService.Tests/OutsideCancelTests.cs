using DaprSaga.OrderProcessService.Processes;
using DaprSaga.OrderProcessService.Saga;
using DaprSaga.OrderProcessService.Workflows;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>An order cancelled from outside (its customer, its deadline) as each engine takes it, in plain functions and on a fake workflow context.</summary>
public sealed class OutsideCancelTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly SagaRequest Request = new("o-1", "alice", [new OrderLine("widget", 2, 10m)], "north", AutoConfirmPayment: false);

    private static OrderProcess At(int step)
    {
        var p = OrderProcess.Start(Request, Now);
        for (var i = 0; i < step; i++) p = p.Advance(StepResult.Done, Now);
        return p;
    }

    [Fact]
    public void OutsideCancelOfAWaitingRunnerTurnsTheWaitIntoARefusalSoCompensationStartsThere()
    {
        var waiting = At(3).Advance(StepResult.Waiting, Now);

        var noted = waiting.RequestCancel(CancellationReason.CustomerCancelled)!;
        var taken = noted.TakeCancel(Now)!;

        Assert.Equal((ProcessStatus.WaitingForPayment, CancellationReason.CustomerCancelled), (noted.Status, noted.CancelRequested));
        Assert.Equal((ProcessStatus.Compensating, 3, CancellationReason.CustomerCancelled), (taken.Status, taken.CurrentStep, taken.CancellationReason));
        Assert.Equal(StepLog.Refused("ConfirmPayment", CancellationReason.CustomerCancelled, Now), taken.Steps[^1]);
        Assert.Null(taken.TakeCancel(Now));
    }

    [Fact]
    public void OutsideCancelIsNotedOnceAndNotWhenTheSagaCompensatesOrHasEnded()
    {
        var noted = At(1).RequestCancel(CancellationReason.SagaTimedOut)!;
        var compensating = At(1).Advance(StepResult.Refused(CancellationReason.OutOfStock), Now);
        var completed = At(OrderSaga.Steps.Count);

        Assert.Null(noted.RequestCancel(CancellationReason.CustomerCancelled));
        Assert.Null(compensating.RequestCancel(CancellationReason.CustomerCancelled));
        Assert.Null(completed.RequestCancel(CancellationReason.CustomerCancelled));
        Assert.Null(At(2).TakeCancel(Now));
    }

    [Fact]
    public void OutsideCancelNotedAtThePivotIsNotTakenThereTheSagaOnlyGoesForward()
    {
        var atPivot = At(OrderSaga.PivotIndex).RequestCancel(CancellationReason.CustomerCancelled)!;

        Assert.Null(atPivot.TakeCancel(Now));
    }

    private static FakeWorkflowContext Context(Func<SagaStepCall, StepResult> participants) =>
        new("o-1", Now.UtcDateTime) { Participants = participants };

    private static OrderSagaInput Input(bool autoConfirmPayment) =>
        new(Request with { AutoConfirmPayment = autoConfirmPayment, Engine = SagaEngine.Workflow }, Now.UtcDateTime);

    [Fact]
    public async Task OutsideCancelHeardWhileTheWorkflowBacksOffCompensatesWithoutAnotherAttempt()
    {
        var context = Context(c => c is { Step: "CreatePayment", Compensate: false }
            ? throw new ParticipantUnavailableException(AppIds.PaymentService, "down")
            : StepResult.Done);
        context.Raise(OrderSagaEvents.CustomerDecision, new CustomerDecision(CustomerDecisionKind.OrderCancelled, CancellationReason.CustomerCancelled));

        var status = await new OrderSagaWorkflow().RunAsync(context, Input(autoConfirmPayment: true));

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

        var status = await new OrderSagaWorkflow().RunAsync(context, Input(autoConfirmPayment: false));

        Assert.Equal(ProcessStatus.Completed, status.Status);
        Assert.DoesNotContain(OrderSagaWorkflow.PaymentCheckInterval, context.Timers);
        Assert.Empty(context.Calls("ConfirmPayment"));
    }
}
