using DaprSaga.OrderProcessService.Processes;
using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>The orchestrated saga's state machine, as plain functions.</summary>
public sealed class OrderProcessTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    // The customer confirms the payment: every step applies, so a step's number is its index.
    private static readonly SagaRequest Request = new("o-1", "alice", [new OrderLine("widget", 2, 10m)], "north", AutoConfirmPayment: false);

    private static readonly SagaRequest Preauthorised = Request with { AutoConfirmPayment = true, PaymentPreauthorised = true };

    private static OrderProcess At(int step, SagaRequest? request = null)
    {
        var p = OrderProcess.Start(request ?? Request, Now);
        for (var i = 0; i < step; i++) p = p.Advance(StepResult.Done, Now);
        return p;
    }

    [Fact]
    public void TheStepsAreTheSevenOfTheDesignInOrderWithThePivotSixth()
    {
        Assert.Equal(
            ["CreateOrder", "ReserveStock", "CreatePayment", "ConfirmPayment", "ConfirmOrder", "ScheduleDelivery", "CompleteOrder"],
            OrderSaga.Steps.Select(s => s.Name));
        Assert.Equal(5, OrderSaga.PivotIndex);
        Assert.Null(OrderSaga.Steps[^1].Compensation);
    }

    [Fact]
    public void EveryDoneStepMovesOnAndTheLastCompletesTheProcess()
    {
        var p = At(6);
        Assert.Equal(("CompleteOrder", ProcessStatus.Running), (p.CurrentStepName, p.Status));

        p = p.Advance(StepResult.Done, Now);

        Assert.Equal(ProcessStatus.Completed, p.Status);
        Assert.Equal(7, p.Steps.Count(s => s.Outcome == StepAnswer.Done));
    }

    [Theory]
    [InlineData(1, CancellationReason.OutOfStock)]
    [InlineData(2, CancellationReason.UnknownCustomer)]
    [InlineData(3, CancellationReason.InsufficientCredit)]
    [InlineData(5, CancellationReason.NoCourierAvailable)]
    public void ARefusalUpToThePivotTurnsTheSagaToCompensation(int step, CancellationReason reason)
    {
        var p = At(step).Advance(StepResult.Refused(reason), Now);

        Assert.Equal((ProcessStatus.Compensating, reason, step), (p.Status, p.CancellationReason, p.CurrentStep));
    }

    [Fact]
    public void ARefusalAfterThePivotIsRetriedNeverCompensated()
    {
        var p = At(6).Advance(StepResult.Refused(CancellationReason.OutOfStock), Now);

        Assert.Equal((ProcessStatus.Running, 6, 1), (p.Status, p.CurrentStep, p.Attempts));
    }

    [Fact]
    public void ATransientFailureStaysOnTheStepAndCountsAnAttempt()
    {
        var p = At(2).Advance(StepResult.Transient("503"), Now).Advance(StepResult.Transient("503"), Now);

        Assert.Equal((ProcessStatus.Running, 2, 2), (p.Status, p.CurrentStep, p.Attempts));
    }

    [Fact]
    public void WaitingForTheCustomerIsLoggedOnceAndThenConfirmationMovesOn()
    {
        var p = At(3).Advance(StepResult.Waiting, Now).Advance(StepResult.Waiting, Now);
        Assert.Equal(ProcessStatus.WaitingForPayment, p.Status);
        Assert.Single(p.Steps, s => s.Outcome == StepAnswer.Waiting);

        p = p.Advance(StepResult.Done, Now);

        Assert.Equal((ProcessStatus.Running, "ConfirmOrder"), (p.Status, p.CurrentStepName));
    }

    [Fact]
    public void CompensationWalksBackToTheFirstStepMarkingWhatWasDoneThenCancels()
    {
        var p = At(3).Advance(StepResult.Refused(CancellationReason.InsufficientCredit), Now);

        for (var i = 0; i < 3; i++) p = p.Compensated(Now);
        Assert.Equal((ProcessStatus.Compensating, 0), (p.Status, p.CurrentStep));
        p = p.Compensated(Now);

        Assert.Equal(ProcessStatus.Cancelled, p.Status);
        Assert.All(p.Steps.Where(s => s.Outcome == StepAnswer.Done), s => Assert.True(s.Compensated));
        Assert.Equal(CancellationReason.InsufficientCredit, p.CancellationReason);
    }

    [Fact]
    public void ALiveLeaseOfAnotherRunnerCannotBeTakenButAnExpiredOneCan()
    {
        var p = At(1).Lease("a", Now, TimeSpan.FromSeconds(30))!;

        Assert.Null(p.Lease("b", Now.AddSeconds(29), TimeSpan.FromSeconds(30)));
        Assert.Equal("b", p.Lease("b", Now.AddSeconds(30), TimeSpan.FromSeconds(30))!.LeaseOwner);
        Assert.Equal("a", p.Lease("a", Now.AddSeconds(10), TimeSpan.FromSeconds(30))!.LeaseOwner);
    }

    [Fact]
    public void AFinishedProcessCannotBeLeasedOrMoved()
    {
        var done = At(7);

        Assert.Null(done.Lease("a", Now, TimeSpan.FromSeconds(30)));
        Assert.Same(done, done.Advance(StepResult.Refused(CancellationReason.OutOfStock), Now));
    }

    [Fact]
    public void OutsideCancelOfAWaitingRunnerRefusesTheWaitAndCompensatesFromTheLastStepBeforeThePivot()
    {
        var waiting = At(3).Advance(StepResult.Waiting, Now);

        var noted = waiting.RequestCancel(CancellationReason.CustomerCancelled)!;
        var taken = noted.TakeCancel(Now)!;

        Assert.Equal((ProcessStatus.WaitingForPayment, CancellationReason.CustomerCancelled), (noted.Status, noted.CancelRequested));
        // Steps after the last save may have run unsaved: every compensation before the pivot runs.
        Assert.Equal((ProcessStatus.Compensating, OrderSaga.PivotIndex - 1, CancellationReason.CustomerCancelled), (taken.Status, taken.CurrentStep, taken.CancellationReason));
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
    public void OutsideCancelTakenFromAnEarlierSaveStillUndoesEveryStepThatMayHaveRunSinceIt()
    {
        // Saved at CreateOrder; a crashed runner may have reserved stock and created the payment unsaved.
        var process = At(0).RequestCancel(CancellationReason.CustomerCancelled)!.TakeCancel(Now)!;

        var undone = new List<string>();
        while (process.Status == ProcessStatus.Compensating)
        {
            if (OrderSaga.Steps[process.CurrentStep].Compensation is not null) undone.Add(process.CurrentStepName);
            process = process.Compensated(Now);
        }

        Assert.Equal(["CreatePayment", "ReserveStock", "CreateOrder"], undone);
        Assert.Equal((ProcessStatus.Cancelled, CancellationReason.CustomerCancelled), (process.Status, process.CancellationReason));
    }

    [Fact]
    public void OutsideCancelNotedAtThePivotIsNotTakenThereTheSagaOnlyGoesForward()
    {
        var atPivot = At(OrderSaga.PivotIndex).RequestCancel(CancellationReason.CustomerCancelled)!;

        Assert.Null(atPivot.TakeCancel(Now));
    }

    [Fact]
    public void APreauthorisedPaymentPassesOverConfirmPaymentWithNoLogLine()
    {
        var p = At(3, Preauthorised);
        Assert.Equal(("ConfirmOrder", 4), (p.CurrentStepName, p.CurrentStep));

        while (p.Status == ProcessStatus.Running) p = p.Advance(StepResult.Done, Now);

        Assert.Equal(ProcessStatus.Completed, p.Status);
        Assert.Equal(OrderSaga.Steps.Select(s => s.Name).Where(n => n != "ConfirmPayment"), p.Steps.Select(s => s.Name));
    }

    [Fact]
    public void APreauthorisedPaymentRefusedForCreditCompensatesFromCreatePayment()
    {
        var p = At(2, Preauthorised).Advance(StepResult.Refused(CancellationReason.InsufficientCredit), Now);
        Assert.Equal((ProcessStatus.Compensating, "CreatePayment", CancellationReason.InsufficientCredit), (p.Status, p.CurrentStepName, p.CancellationReason));

        for (var i = 0; i < 3; i++) p = p.Compensated(Now);

        Assert.Equal((ProcessStatus.Cancelled, CancellationReason.InsufficientCredit), (p.Status, p.CancellationReason));
        Assert.Equal(StepLog.Refused("CreatePayment", CancellationReason.InsufficientCredit, Now), p.Steps[^1]);
    }

    [Fact]
    public void CompensationFromThePivotWalksBackOverConfirmPaymentWhenItDidNotApply()
    {
        var p = At(3, Preauthorised).Advance(StepResult.Done, Now).Advance(StepResult.Refused(CancellationReason.NoCourierAvailable), Now);
        Assert.Equal((ProcessStatus.Compensating, OrderSaga.PivotIndex), (p.Status, p.CurrentStep));

        var visited = new List<string>();
        while (p.Status == ProcessStatus.Compensating)
        {
            visited.Add(p.CurrentStepName);
            p = p.Compensated(Now);
        }

        Assert.Equal(["ScheduleDelivery", "ConfirmOrder", "CreatePayment", "ReserveStock", "CreateOrder"], visited);
        Assert.Equal(ProcessStatus.Cancelled, p.Status);
    }

    [Fact]
    public void AnAutoConfirmInstanceStoredWithoutPreauthorisationKeepsItsConfirmPaymentStep()
    {
        var stored = Request with { AutoConfirmPayment = true };

        Assert.Equal("ConfirmPayment", At(3, stored).CurrentStepName);
        Assert.True(OrderSaga.Steps[3].Applies(stored));
        Assert.False(OrderSaga.Steps[3].Applies(Preauthorised));
    }
}
