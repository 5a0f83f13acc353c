using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// A runner's saga as last saved; a crash resumes at <see cref="CurrentStep"/> and re-sends the (idempotent) steps since.
/// <see cref="CancelRequested"/>: the order was cancelled from outside (by its customer, or at its deadline).
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
    int Attempts,
    CancellationReason? CancelRequested = null)
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

    /// <summary>
    /// Notes an outside cancel; null when it changes nothing. order-service refuses one once the order is
    /// confirmed, so it can only come before the pivot, while compensating anyway, or after the end.
    /// </summary>
    public OrderProcess? RequestCancel(CancellationReason reason) =>
        IsTerminal || Status == ProcessStatus.Compensating || CancelRequested is not null ? null : this with { CancelRequested = reason };

    /// <summary>
    /// A noted cancel refuses the step at hand; null when there is none to take. Steps after the last save may
    /// have run unsaved, so compensation starts at the last step before the pivot: undoing one that never ran
    /// leaves a tombstone, nothing else.
    /// </summary>
    public OrderProcess? TakeCancel(DateTimeOffset now) =>
        CancelRequested is { } reason && !IsTerminal && Status != ProcessStatus.Compensating && CurrentStep < OrderSaga.PivotIndex
            ? Moved(new SagaMove(ProcessStatus.Compensating, OrderSaga.PivotIndex - 1, [.. Steps, StepLog.Refused(CurrentStepName, reason, now)], reason), now)
            : null;

    public OrderProcess Release() => this with { LeaseOwner = null, LeaseUntil = DateTimeOffset.MinValue };

    public OrderProcess Advance(StepResult result, DateTimeOffset now)
    {
        if (IsTerminal || Status == ProcessStatus.Compensating) return this;
        if (OrderSaga.Forward(Request, CurrentStep, Steps, result, now) is { } move) return Moved(move, now);
        if (result.Outcome != StepOutcome.Waiting) return Failed(now);
        return Status == ProcessStatus.WaitingForPayment
            ? this with { UpdatedAt = now }
            : this with { Status = ProcessStatus.WaitingForPayment, Steps = [.. Steps, StepLog.Waiting(CurrentStepName, now)], UpdatedAt = now };
    }

    public OrderProcess Compensated(DateTimeOffset now) =>
        Status == ProcessStatus.Compensating ? Moved(OrderSaga.Back(Request, CurrentStep, Steps, now), now) : this;

    private OrderProcess Moved(SagaMove move, DateTimeOffset now) => this with
    {
        Status = move.Status,
        CurrentStep = move.Step,
        Steps = move.Steps,
        CancellationReason = move.Reason ?? CancellationReason,
        Attempts = 0,
        UpdatedAt = now,
    };

    public OrderProcess Failed(DateTimeOffset now) => this with { Attempts = Attempts + 1, UpdatedAt = now };

    public OrderProcessView ToView() =>
        new(OrderId, SagaEngine.Runner, Status, CurrentStepName, Steps.Select(s => s.ToView()).ToList(), CancellationReason, CreatedAt, UpdatedAt);
}
