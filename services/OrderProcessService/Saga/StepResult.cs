using DaprSaga.Contracts;

namespace DaprSaga.OrderProcessService.Saga;

public enum StepOutcome
{
    /// <summary>The participant did it (or had already done it).</summary>
    Done,
    /// <summary>A business refusal (409): compensate.</summary>
    Refused,
    /// <summary>Nothing to do yet (the customer has not confirmed the payment): come back later.</summary>
    Waiting,
    /// <summary>Transient trouble (5xx, timeout, sidecar error): retry; never compensate for it.</summary>
    Transient,
}

public sealed record StepResult(StepOutcome Outcome, CancellationReason? Reason = null, string? Detail = null)
{
    public static readonly StepResult Done = new(StepOutcome.Done);
    public static readonly StepResult Waiting = new(StepOutcome.Waiting);

    public static StepResult Refused(CancellationReason reason) => new(StepOutcome.Refused, reason);

    public static StepResult Transient(string detail) => new(StepOutcome.Transient, Detail: detail);
}
