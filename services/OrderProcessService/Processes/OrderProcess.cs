using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>A runner's saga; the runner persists each transition before it moves on, so a crash resumes at <see cref="CurrentStep"/>.</summary>
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
                Steps = [.. Steps, StepLog.Done(name, now)],
                Attempts = 0,
                UpdatedAt = now,
            },
            // Past the pivot a refusal is retried like trouble: the saga only goes forward there.
            StepOutcome.Refused when CurrentStep <= OrderSaga.PivotIndex => this with
            {
                Status = ProcessStatus.Compensating,
                CancellationReason = result.Reason,
                Steps = [.. Steps, StepLog.Refused(name, result.Reason, now)],
                Attempts = 0,
                UpdatedAt = now,
            },
            StepOutcome.Waiting => Status == ProcessStatus.WaitingForPayment
                ? this with { UpdatedAt = now }
                : this with { Status = ProcessStatus.WaitingForPayment, Steps = [.. Steps, StepLog.Waiting(name, now)], UpdatedAt = now },
            _ => this with { Attempts = Attempts + 1, UpdatedAt = now },
        };
    }

    public OrderProcess Compensated(DateTimeOffset now)
    {
        if (Status != ProcessStatus.Compensating) return this;
        var steps = StepLog.Compensate(Steps, CurrentStepName, now);
        return CurrentStep == 0
            ? this with { Status = ProcessStatus.Cancelled, Steps = steps, UpdatedAt = now, Attempts = 0 }
            : this with { CurrentStep = CurrentStep - 1, Steps = steps, UpdatedAt = now, Attempts = 0 };
    }

    public OrderProcess Failed(DateTimeOffset now) => this with { Attempts = Attempts + 1, UpdatedAt = now };

    public OrderProcessView ToView() =>
        new(OrderId, SagaEngine.Runner, Status, CurrentStepName, Steps.Select(s => s.ToView()).ToList(), CancellationReason, CreatedAt, UpdatedAt);
}
