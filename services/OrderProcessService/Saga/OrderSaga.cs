namespace DaprSaga.OrderProcessService.Saga;

/// <summary>One step of a saga: an idempotent action, the compensation that undoes it; passed over where it does not apply.</summary>
public sealed record SagaStep(
    string Name,
    string Participant,
    Func<Participants, SagaRequest, CancellationToken, Task<StepResult>> Action,
    Func<Participants, SagaRequest, CancellationToken, Task<StepResult>>? Compensation = null,
    Func<SagaRequest, bool>? AppliesTo = null)
{
    public bool Applies(SagaRequest request) => AppliesTo?.Invoke(request) ?? true;
}

/// <summary>Where a saga goes after an answer; <paramref name="Reason"/> only on a refusal.</summary>
public sealed record SagaMove(ProcessStatus Status, int Step, IReadOnlyList<StepLog> Steps, CancellationReason? Reason);

/// <summary>
/// The saga as data for both engines. Every action and compensation is idempotent per order id
/// and decides from the participant's own state, so a crash before saving its result is harmless.
/// </summary>
public static class OrderSaga
{
    /// <summary>After this step succeeds the saga only goes forward.</summary>
    public const string Pivot = "ScheduleDelivery";

    public static IReadOnlyList<SagaStep> Steps { get; } =
    [
        new("CreateOrder", AppIds.OrderService, (p, r, ct) => p.CreateOrderAsync(r, ct), (p, r, ct) => p.CancelOrderAsync(r, ct)),
        new("ReserveStock", AppIds.InventoryService, (p, r, ct) => p.ReserveStockAsync(r, ct), (p, r, ct) => p.ReleaseStockAsync(r, ct)),
        new("CreatePayment", AppIds.PaymentService, (p, r, ct) => p.CreatePaymentAsync(r, ct), (p, r, ct) => p.VoidPaymentAsync(r, ct)),
        // A pre-authorised payment is confirmed by its own create; an instance stored without it still confirms here.
        new("ConfirmPayment", AppIds.PaymentService, (p, r, ct) => r.AutoConfirmPayment ? p.ConfirmPaymentAsync(r, ct) : p.AwaitPaymentAsync(r, ct),
            AppliesTo: r => !r.PaymentPreauthorised),
        new("ConfirmOrder", AppIds.OrderService, (p, r, ct) => p.ConfirmOrderAsync(r, ct)),
        new(Pivot, AppIds.DeliveryService, (p, r, ct) => p.ScheduleDeliveryAsync(r, ct), (p, r, ct) => p.CancelDeliveryAsync(r, ct)),
        new("CompleteOrder", AppIds.OrderService, (p, r, ct) => p.CompleteOrderAsync(r, ct)),
    ];

    public static int PivotIndex { get; } = Steps.Select((s, i) => (s, i)).Single(x => x.s.Name == Pivot).i;

    // Null when nothing moves. Past the pivot a refusal is retried like trouble: the saga only goes forward there.
    public static SagaMove? Forward(SagaRequest request, int step, IReadOnlyList<StepLog> log, StepResult result, DateTimeOffset now)
    {
        var next = NextFor(request, step);
        return result.Outcome switch
        {
            StepOutcome.Done => new(
                next == Steps.Count ? ProcessStatus.Completed : ProcessStatus.Running, next, [.. log, StepLog.Done(Steps[step].Name, now)], null),
            StepOutcome.Refused when step <= PivotIndex => new(
                ProcessStatus.Compensating, step, [.. log, StepLog.Refused(Steps[step].Name, result.Reason, now)], result.Reason),
            _ => null,
        };
    }

    /// <summary>The compensation of <paramref name="step"/> is done: back to the step before that applies, or cancelled after the first.</summary>
    public static SagaMove Back(SagaRequest request, int step, IReadOnlyList<StepLog> log, DateTimeOffset now)
    {
        var previous = PreviousFor(request, step);
        return new(previous < 0 ? ProcessStatus.Cancelled : ProcessStatus.Compensating, Math.Max(previous, 0),
            StepLog.Compensate(log, Steps[step].Name, now), null);
    }

    /// <summary>The first step after <paramref name="step"/> that applies to the request; <see cref="Steps"/>.Count after the last.</summary>
    public static int NextFor(SagaRequest request, int step)
    {
        var next = step + 1;
        while (next < Steps.Count && !Steps[next].Applies(request)) next++;
        return next;
    }

    private static int PreviousFor(SagaRequest request, int step)
    {
        var previous = step - 1;
        while (previous >= 0 && !Steps[previous].Applies(request)) previous--;
        return previous;
    }
}
