namespace DaprSaga.Contracts;

/// <summary>What drives an orchestrated saga: Dapr Workflow, or our own runner over the state store.</summary>
public enum SagaEngine { Workflow, Runner }

public enum ProcessStatus { Running, WaitingForPayment, Compensating, Completed, Cancelled }

/// <summary>A participant's answer to one of the orchestrator's commands; Waiting: the customer has not decided yet.</summary>
public enum StepAnswer { Done, Refused, Waiting }

/// <summary>
/// One line of an orchestrated saga's step log: the command sent to <paramref name="Participant"/>
/// (an app id), its answer (with the reason of a refusal), and when its compensation ran.
/// </summary>
public sealed record ProcessStepView(
    string Name, string Participant, StepAnswer Outcome, DateTimeOffset At, CancellationReason? Reason = null,
    bool? Compensated = null, DateTimeOffset? CompensatedAt = null);

/// <summary>GET /order-processes/{orderId}: the same shape for both engines.</summary>
public sealed record OrderProcessView(
    string OrderId, SagaEngine Engine, ProcessStatus Status, string CurrentStep, IReadOnlyList<ProcessStepView> Steps,
    CancellationReason? CancellationReason, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
