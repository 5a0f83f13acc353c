namespace DaprSaga.OrderProcessService.Saga;

public enum StepOutcome
{
    Done,
    Refused,
    Waiting,
    // 5xx, timeout, sidecar error: retried, never compensated for.
    Transient,
}

public sealed record StepResult(StepOutcome Outcome, CancellationReason? Reason = null, string? Detail = null)
{
    public static readonly StepResult Done = new(StepOutcome.Done);
    public static readonly StepResult Waiting = new(StepOutcome.Waiting);

    public static StepResult Refused(CancellationReason reason) => new(StepOutcome.Refused, reason);

    public static StepResult Transient(string detail) => new(StepOutcome.Transient, Detail: detail);
}
