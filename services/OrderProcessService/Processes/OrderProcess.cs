using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>One line of the step log: what happened to a step, and whether (and when) it was undone.</summary>
public sealed record StepLog(string Name, string Outcome, DateTimeOffset At, bool? Compensated = null, DateTimeOffset? CompensatedAt = null);

/// <summary>
/// A persisted orchestrated saga: where it is and what each step did. All transitions are pure
/// functions; the runner persists each result (ETag-guarded) before it moves on, so a crash at any
/// point resumes at <see cref="CurrentStep"/> without repeating an effect.
/// </summary>
public sealed record OrderProcess(
    string OrderId,
    SagaRequest Request,
    ProcessStatus Status,
    int CurrentStep,
    IReadOnlyList<StepLog> Steps,
    CancellationReason? CancellationReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? LeaseOwner,
    DateTimeOffset LeaseUntil,
    int Attempts)
{
    public bool IsTerminal => Status is ProcessStatus.Completed or ProcessStatus.Cancelled;

    /// <summary>The step to run now (Running/Waiting) or to compensate next (Compensating).</summary>
    public string CurrentStepName => CurrentStep < OrderSaga.Steps.Count ? OrderSaga.Steps[CurrentStep].Name : "Done";

    public static OrderProcess Start(SagaRequest request, DateTimeOffset now) =>
        new(request.OrderId, request, ProcessStatus.Running, 0, [], null, now, now, null, DateTimeOffset.MinValue, 0);

    /// <summary>Takes the lease if it is free or expired; a live lease of another runner means hands off.</summary>
    public OrderProcess? Lease(string owner, DateTimeOffset now, TimeSpan duration)
    {
        if (IsTerminal) return null;
        if (LeaseOwner is not null && LeaseOwner != owner && LeaseUntil > now) return null;
        return this with { LeaseOwner = owner, LeaseUntil = now + duration };
    }

    public OrderProcess Release() => this with { LeaseOwner = null, LeaseUntil = DateTimeOffset.MinValue };

    /// <summary>Applies a step's result while going forward.</summary>
    public OrderProcess Advance(StepResult result, DateTimeOffset now)
    {
        if (IsTerminal || Status == ProcessStatus.Compensating) return this;
        var name = CurrentStepName;
        return result.Outcome switch
        {
            StepOutcome.Done => this with
            {
                Status = CurrentStep + 1 == OrderSaga.Steps.Count ? ProcessStatus.Completed : ProcessStatus.Running,
                CurrentStep = CurrentStep + 1,
                Steps = [.. Steps, new StepLog(name, "Done", now)],
                Attempts = 0,
                UpdatedAt = now,
            },
            // Up to the pivot a refusal turns the saga back; after it, steps only go forward
            // (a refusal there is retried like a transient failure).
            StepOutcome.Refused when CurrentStep <= OrderSaga.PivotIndex => this with
            {
                Status = ProcessStatus.Compensating,
                CancellationReason = result.Reason,
                Steps = [.. Steps, new StepLog(name, $"Refused: {result.Reason}", now)],
                Attempts = 0,
                UpdatedAt = now,
            },
            StepOutcome.Waiting => Status == ProcessStatus.WaitingForPayment
                ? this with { UpdatedAt = now }
                : this with { Status = ProcessStatus.WaitingForPayment, Steps = [.. Steps, new StepLog(name, "Waiting", now)], UpdatedAt = now },
            _ => this with { Attempts = Attempts + 1, UpdatedAt = now },
        };
    }

    /// <summary>Records that the compensation of <see cref="CurrentStep"/> is done and moves one step back.</summary>
    public OrderProcess Compensated(DateTimeOffset now)
    {
        if (Status != ProcessStatus.Compensating) return this;
        var name = CurrentStepName;
        var steps = Steps.Select(s => s.Name == name && s.Outcome == "Done" ? s with { Compensated = true, CompensatedAt = now } : s).ToList();
        return CurrentStep == 0
            ? this with { Status = ProcessStatus.Cancelled, Steps = steps, UpdatedAt = now, Attempts = 0 }
            : this with { CurrentStep = CurrentStep - 1, Steps = steps, UpdatedAt = now, Attempts = 0 };
    }

    public OrderProcess Failed(DateTimeOffset now) => this with { Attempts = Attempts + 1, UpdatedAt = now };
}
