using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService.Workflows;

public sealed record OrderSagaInput(SagaRequest Request, DateTimeOffset CreatedAt, SagaProgress? Progress = null);

public sealed record SagaProgress(
    ProcessStatus Status, int Step, IReadOnlyList<StepLog> Steps, CancellationReason? CancellationReason, DateTimeOffset UpdatedAt)
{
    public static SagaProgress Start(DateTimeOffset now) => new(ProcessStatus.Running, 0, [], null, now);

    public bool IsTerminal => Status is ProcessStatus.Completed or ProcessStatus.Cancelled;

    public string CurrentStepName => Step >= 0 && Step < OrderSaga.Steps.Count && !IsTerminal ? OrderSaga.Steps[Step].Name : "Done";

    public SagaProgress Waiting(DateTimeOffset now) =>
        Status == ProcessStatus.Running
            ? this with { Status = ProcessStatus.WaitingForPayment, Steps = [.. Steps, StepLog.Waiting(CurrentStepName, now)], UpdatedAt = now }
            : this;

    // Null when nothing moves: trouble, a payment not decided yet, or a refusal past the pivot.
    public SagaProgress? Apply(StepResult result, DateTimeOffset now)
    {
        if (IsTerminal) return null;
        var name = CurrentStepName;
        if (Status == ProcessStatus.Compensating)
        {
            if (result.Outcome != StepOutcome.Done) return null;
            var steps = StepLog.Compensate(Steps, name, now);
            return Step == 0
                ? this with { Status = ProcessStatus.Cancelled, Steps = steps, UpdatedAt = now }
                : this with { Step = Step - 1, Steps = steps, UpdatedAt = now };
        }
        return result.Outcome switch
        {
            StepOutcome.Done => this with
            {
                Status = Step + 1 == OrderSaga.Steps.Count ? ProcessStatus.Completed : ProcessStatus.Running,
                Step = Step + 1,
                Steps = [.. Steps, StepLog.Done(name, now)],
                UpdatedAt = now,
            },
            StepOutcome.Refused when Step <= OrderSaga.PivotIndex => this with
            {
                Status = ProcessStatus.Compensating,
                CancellationReason = result.Reason,
                Steps = [.. Steps, StepLog.Refused(name, result.Reason, now)],
                UpdatedAt = now,
            },
            _ => null,
        };
    }
}

/// <summary>The custom status (and output) of an instance: all GET /order-processes/{id} needs.</summary>
public sealed record OrderSagaStatus(
    ProcessStatus Status, string CurrentStep, IReadOnlyList<StepLog> Steps, CancellationReason? CancellationReason,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static OrderSagaStatus Of(SagaProgress p, DateTimeOffset createdAt) =>
        new(p.Status, p.CurrentStepName, p.Steps, p.CancellationReason, createdAt, p.UpdatedAt);
}

public sealed record SagaStepCall(string Step, bool Compensate, SagaRequest Request);

public enum CustomerDecisionKind { PaymentConfirmed, PaymentCancelled, OrderCancelled }

public sealed record CustomerDecision(CustomerDecisionKind Kind, CancellationReason? Reason = null);

public static class OrderSagaEvents
{
    // One name for every way a payment wait can end: one wait covers them all, with none to tidy up.
    public const string CustomerDecision = "customer-decision";
}
