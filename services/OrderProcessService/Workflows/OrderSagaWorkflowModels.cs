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

    public SagaProgress? Apply(SagaRequest request, StepResult result, DateTimeOffset now)
    {
        if (IsTerminal) return null;
        var move = Status != ProcessStatus.Compensating ? OrderSaga.Forward(request, Step, Steps, result, now)
            : result.Outcome == StepOutcome.Done ? OrderSaga.Back(request, Step, Steps, now)
            : null;
        return move is null ? null : this with
        {
            Status = move.Status,
            Step = move.Step,
            Steps = move.Steps,
            CancellationReason = move.Reason ?? CancellationReason,
            UpdatedAt = now,
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
