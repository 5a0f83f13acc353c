namespace DaprSaga.OrderProcessService.Saga;

/// <summary>One line of the step log both engines keep: a step's answer, and when it was undone.</summary>
public sealed record StepLog(
    string Name, StepAnswer Outcome, DateTimeOffset At, CancellationReason? Reason = null,
    bool? Compensated = null, DateTimeOffset? CompensatedAt = null)
{
    public static StepLog Done(string name, DateTimeOffset at) => new(name, StepAnswer.Done, at);

    public static StepLog Refused(string name, CancellationReason? reason, DateTimeOffset at) => new(name, StepAnswer.Refused, at, reason);

    public static StepLog Waiting(string name, DateTimeOffset at) => new(name, StepAnswer.Waiting, at);

    /// <summary>The log with the done step <paramref name="name"/> marked compensated.</summary>
    public static IReadOnlyList<StepLog> Compensate(IEnumerable<StepLog> steps, string name, DateTimeOffset at) =>
        steps.Select(s => s.Name == name && s.Outcome == StepAnswer.Done ? s with { Compensated = true, CompensatedAt = at } : s).ToList();

    public ProcessStepView ToView() =>
        new(Name, OrderSaga.Steps.First(x => x.Name == Name).Participant, Outcome, At, Reason, Compensated, CompensatedAt);
}
