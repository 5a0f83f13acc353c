using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Processes;
using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService.Workflows;

/// <summary>The workflow's input: the order, and what an earlier generation did before it continued as new.</summary>
public sealed record OrderSagaInput(SagaRequest Request, DateTimeOffset CreatedAt, SagaProgress? Progress = null);

/// <summary>Where the saga stands: the step to run (or, when compensating, to undo) and the step log.</summary>
public sealed record SagaProgress(
    ProcessStatus Status, int Step, IReadOnlyList<StepLog> Steps, CancellationReason? CancellationReason, DateTimeOffset UpdatedAt)
{
    public static SagaProgress Start(DateTimeOffset now) => new(ProcessStatus.Running, 0, [], null, now);

    public bool IsTerminal => Status is ProcessStatus.Completed or ProcessStatus.Cancelled;

    public string CurrentStepName => Step >= 0 && Step < OrderSaga.Steps.Count && !IsTerminal ? OrderSaga.Steps[Step].Name : "Done";

    /// <summary>The payment step now waits for the customer; logged once.</summary>
    public SagaProgress Waiting(DateTimeOffset now) =>
        Status == ProcessStatus.Running
            ? this with { Status = ProcessStatus.WaitingForPayment, Steps = [.. Steps, new StepLog(CurrentStepName, "Waiting", now)], UpdatedAt = now }
            : this;

    /// <summary>
    /// Applies a step's (or, when compensating, a compensation's) result; null when it moves
    /// nothing: transient trouble, a payment not decided yet, or a refusal past the pivot (the saga
    /// only goes forward there, so that step is tried again).
    /// </summary>
    public SagaProgress? Apply(StepResult result, DateTimeOffset now)
    {
        if (IsTerminal) return null;
        var name = CurrentStepName;
        if (Status == ProcessStatus.Compensating)
        {
            if (result.Outcome != StepOutcome.Done) return null;
            var steps = Steps.Select(s => s.Name == name && s.Outcome == "Done" ? s with { Compensated = true, CompensatedAt = now } : s).ToList();
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
                Steps = [.. Steps, new StepLog(name, "Done", now)],
                UpdatedAt = now,
            },
            StepOutcome.Refused when Step <= OrderSaga.PivotIndex => this with
            {
                Status = ProcessStatus.Compensating,
                CancellationReason = result.Reason,
                Steps = [.. Steps, new StepLog(name, $"Refused: {result.Reason}", now)],
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

/// <summary>What the activity is asked to do: a step's action, or its compensation.</summary>
public sealed record SagaStepCall(string Step, bool Compensate, SagaRequest Request);

public enum CustomerDecisionKind { PaymentConfirmed, PaymentCancelled, OrderCancelled }

/// <summary>The payload of <see cref="OrderSagaEvents.CustomerDecision"/>, raised from the events this service receives.</summary>
public sealed record CustomerDecision(CustomerDecisionKind Kind, CancellationReason? Reason = null);

public static class OrderSagaEvents
{
    /// <summary>
    /// One name for every way a payment wait can end (confirmed, cancelled or expired, order
    /// cancelled): a single wait then covers them all, with no concurrent waits to tidy up.
    /// </summary>
    public const string CustomerDecision = "customer-decision";
}
