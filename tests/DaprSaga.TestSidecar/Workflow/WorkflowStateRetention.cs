using Dapr.DurableTask.Protobuf;

namespace DaprSaga.TestSidecar.Workflow;

/// <summary>
/// Configuration spec.workflow.stateRetentionPolicy (dapr `pkg/config/configuration.go`
/// WorkflowStateRetentionPolicy): how long after it ends a terminal workflow instance is purged,
/// per terminal status or for any; an unset one is never purged.
/// </summary>
public sealed record WorkflowStateRetention(
    TimeSpan? AnyTerminal = null,
    TimeSpan? Completed = null,
    TimeSpan? Failed = null,
    TimeSpan? Terminated = null)
{
    /// <summary>
    /// The due time after completion for an instance that ended with <paramref name="status"/>, or
    /// null for none (orchestrator `run.go` handleRetention: the status's own setting wins over anyTerminal).
    /// </summary>
    public TimeSpan? DueAfter(OrchestrationStatus status) => status switch
    {
        OrchestrationStatus.Completed when Completed is { } completed => completed,
        OrchestrationStatus.Terminated when Terminated is { } terminated => terminated,
        OrchestrationStatus.Failed when Failed is { } failed => failed,
        _ => AnyTerminal,
    };
}
