namespace DaprSaga.Components.Tests;

/// <summary>
/// What Dapr Workflow needs from the resources: one actor state store for the app that runs
/// workflows (daprd keeps workflow instances as actor state and refuses workflow calls without
/// one), and concurrency limits and state retention in the Configuration, where 1.19 reads them.
/// </summary>
public sealed class WorkflowComponentTests
{
    private const string ActorStateStore = "actorStateStore";

    public static TheoryData<string> StateFolders => new(ResourceSet.FoldersOf(ResourceSet.StateFamily));

    [Theory]
    [MemberData(nameof(StateFolders))]
    public void EveryStateSetHasExactlyOneActorStateStoreTheProcessStoreOfTheWorkflowApp(string folder)
    {
        var stores = ResourceSet.With(folder).Components
            .Where(c => c.Type.StartsWith("state.", StringComparison.Ordinal))
            .ToList();

        var actorStore = Assert.Single(stores, s => s.Metadata.ContainsKey(ActorStateStore));
        Assert.Equal(ComponentNames.ProcessStore, actorStore.Name);
        Assert.Equal(ComponentNames.StoreOf[AppIds.OrderProcessService], actorStore.Name);
        Assert.Equal("true", actorStore.Metadata[ActorStateStore]);
        Assert.Equal([AppIds.OrderProcessService], actorStore.Scopes);
    }

    [Fact]
    public void EveryStateStoreThatSaysActorStateStoreIsTheProcessStore()
    {
        // Variant files not in any set are checked too: a second actor store anywhere would make
        // daprd refuse to start the actor runtime once that set is chosen.
        var declared = DaprResource.All()
            .Where(r => r.Type.StartsWith("state.", StringComparison.Ordinal) && r.Metadata.ContainsKey(ActorStateStore))
            .ToList();

        Assert.NotEmpty(declared);
        Assert.All(declared, s =>
        {
            Assert.Equal(ComponentNames.ProcessStore, s.Name);
            Assert.Equal("true", s.Metadata[ActorStateStore]);
        });
    }

    [Fact]
    public void TheConfigurationCapsConcurrentWorkflowAndActivityInvocations()
    {
        var path = RunFile.Load().ConfigFilePath;
        Assert.NotNull(path);
        var config = Assert.Single(DaprResource.LoadFile(Repo.Resolve(path)));
        var workflow = config.Spec.Mapping("workflow");

        // pkg/config WorkflowSpec: int32 fields; absent or 0 means no limit at all.
        Assert.InRange(int.Parse(workflow.Scalar("maxConcurrentWorkflowInvocations") ?? "0", System.Globalization.CultureInfo.InvariantCulture), 1, 1000);
        Assert.InRange(int.Parse(workflow.Scalar("maxConcurrentActivityInvocations") ?? "0", System.Globalization.CultureInfo.InvariantCulture), 1, 1000);
    }

    [Fact]
    public void TheConfigurationPurgesFinishedWorkflowInstancesAWeekAfterTheyEnd()
    {
        var path = RunFile.Load().ConfigFilePath;
        Assert.NotNull(path);
        var config = Assert.Single(DaprResource.LoadFile(Repo.Resolve(path)));
        var policy = config.Spec.Mapping("workflow").Mapping("stateRetentionPolicy");

        // pkg/config WorkflowStateRetentionPolicy: Go durations; anyTerminal covers every terminal
        // status, and no status of its own overrides it here.
        Assert.Equal("168h", policy.Scalar("anyTerminal"));
        Assert.Equal(["anyTerminal"], policy.Entries().Select(e => e.Key));
    }
}
