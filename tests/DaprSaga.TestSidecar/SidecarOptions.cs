using DaprSaga.TestSidecar.Workflow;

namespace DaprSaga.TestSidecar;

/// <summary>What `daprd` would be started with for one app.</summary>
public sealed record SidecarOptions(string AppId)
{
    /// <summary>State store components loaded (scoped to this app).</summary>
    public IReadOnlyList<string> StateStores { get; init; } = [];

    /// <summary>Pub/sub components loaded; each must exist on the testbed.</summary>
    public IReadOnlyList<string> PubSubs { get; init; } = [];

    /// <summary>Cron input bindings loaded; triggered on demand by the test.</summary>
    public IReadOnlyList<string> Bindings { get; init; } = [];

    /// <summary>
    /// The loaded state store declared with `actorStateStore: "true"` (see
    /// <see cref="ComponentFiles.ActorStateStoreOf"/>). Dapr Workflow keeps its instances as actor
    /// state: without one among <see cref="StateStores"/>, workflow calls fail as daprd fails them.
    /// </summary>
    public string? ActorStateStore { get; init; }

    /// <summary>
    /// These options with the state stores the app loads from components/state/{<paramref name="stateSet"/>}
    /// (by scope) and, among them, its actor state store, as `dapr run -f .` would give it.
    /// </summary>
    public SidecarOptions WithComponentStateStores(string stateSet = "redis") => this with
    {
        StateStores = ComponentFiles.StateStoresOf(AppId, stateSet),
        ActorStateStore = ComponentFiles.ActorStateStoreOf(AppId, stateSet),
    };

    /// <summary>
    /// Configuration spec.workflow.maxConcurrentWorkflowInvocations: turns handed to the worker and
    /// not yet answered, at most; null (daprd's default) is no limit.
    /// </summary>
    public int? MaxConcurrentWorkflowInvocations { get; init; }

    /// <summary>Configuration spec.workflow.maxConcurrentActivityInvocations, likewise for activities.</summary>
    public int? MaxConcurrentActivityInvocations { get; init; }

    /// <summary>These options with the workflow limits of the repository's components/config.yaml.</summary>
    public SidecarOptions WithConfigurationWorkflowLimits()
    {
        var (workflows, activities) = ComponentFiles.WorkflowLimits();
        return this with { MaxConcurrentWorkflowInvocations = workflows, MaxConcurrentActivityInvocations = activities };
    }

    /// <summary>
    /// Configuration spec.workflow.stateRetentionPolicy: when finished instances are purged; null
    /// (daprd's default) keeps them until purged by a client.
    /// </summary>
    public WorkflowStateRetention? WorkflowStateRetention { get; init; }

    /// <summary>These options with the workflow state retention policy of the repository's components/config.yaml.</summary>
    public SidecarOptions WithConfigurationWorkflowRetention() => this with { WorkflowStateRetention = ComponentFiles.WorkflowRetention() };

    /// <summary>DAPR_API_TOKEN: when set, every call to the sidecar must carry it.</summary>
    public string? DaprApiToken { get; init; }

    /// <summary>APP_API_TOKEN: sent to the app as `dapr-api-token` on every call daprd makes to it.</summary>
    public string? AppApiToken { get; init; }
}
