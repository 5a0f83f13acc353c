namespace DaprSaga.Contracts;

/// <summary>What drives an orchestrated saga: Dapr Workflow, or our own runner over the state store.</summary>
public enum SagaEngine { Workflow, Runner }

public enum ProcessStatus { Running, WaitingForPayment, Compensating, Completed, Cancelled }

/// <summary>
/// One line of an orchestrated saga's step log: the command sent to <paramref name="Participant"/>
/// (an app id) and its answer; <paramref name="CompensatedAt"/> when its compensation ran.
/// </summary>
public sealed record ProcessStepView(
    string Name, string Participant, string Outcome, DateTimeOffset At, bool? Compensated = null, DateTimeOffset? CompensatedAt = null);

/// <summary>GET /order-processes/{orderId}: the same shape for both engines.</summary>
public sealed record OrderProcessView(
    string OrderId, SagaEngine Engine, ProcessStatus Status, string CurrentStep, IReadOnlyList<ProcessStepView> Steps,
    CancellationReason? CancellationReason, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
