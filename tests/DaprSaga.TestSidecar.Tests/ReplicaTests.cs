using Dapr.Workflow;
using EventCase = Dapr.DurableTask.Protobuf.HistoryEvent.EventTypeOneofCase;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>
/// Several replicas of one app id, each beside its own sidecar on one testbed, as daprd runs
/// them: one consumer group per app id, invocation resolved to one instance in turn, one state
/// store and one workflow backend shared by all of them.
/// </summary>
public sealed class ReplicaTests : IAsyncDisposable
{
    private const string AppId = "replicated-app";
    private const string PubSub = "pubsub";
    private const string Store = "statestore";
    private const string Topic = "t";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly Testbed _testbed = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public record Note(int Number);

    private static SidecarOptions Options(string appId) => new(appId) { PubSubs = [PubSub], StateStores = [Store] };

    /// <summary>One replica of <see cref="AppId"/>: a handler on <see cref="Topic"/> and a GET /whoami, both recorded.</summary>
    private async Task<TestApp> StartReplicaAsync()
    {
        var app = await TestApp.StartAsync(_testbed, Options(AppId), a =>
        {
            a.MapPost("/notes", TestApp.Recording("notes")).WithTopic(PubSub, Topic);
            a.MapGet("/whoami", TestApp.Recording("whoami"));
        });
        _owned.Add(app);
        return app;
    }

    private async Task<TestApp> StartCallerAsync()
    {
        var app = await TestApp.StartAsync(_testbed, Options("caller-app"), _ => { });
        _owned.Add(app);
        return app;
    }

    private async Task PublishAsync(TestApp publisher, int count)
    {
        for (var n = 1; n <= count; n++) await publisher.Dapr.PublishEventAsync(PubSub, Topic, new Note(n));
        await _testbed.WaitForIdleAsync(Deadline);
    }

    private static IEnumerable<int> Numbers(TestApp replica) => replica.Recorder.At("notes").Select(r => (int)r.Body!["number"]!);

    private static async Task InvokeAsync(TestApp caller, int times)
    {
        using var client = caller.Dapr.CreateInvokableHttpClient(AppId);
        for (var i = 0; i < times; i++)
        {
            using var response = await client.GetAsync(new Uri("/whoami", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task EachMessageGoesToOneReplicaOfTheAppIdAndTheReplicasShareTheTopic()
    {
        var (first, second) = (await StartReplicaAsync(), await StartReplicaAsync());
        var publisher = await StartCallerAsync();

        await PublishAsync(publisher, 10);

        // One consumer group (the app id): every message once across the replicas, both busy.
        Assert.Equal(Enumerable.Range(1, 10), Numbers(first).Concat(Numbers(second)).Order());
        Assert.NotEmpty(Numbers(first));
        Assert.NotEmpty(Numbers(second));
        Assert.Equal(2, _testbed.Replicas(AppId).Count);
    }

    [Fact]
    public async Task InvocationOfAReplicatedAppIdReachesEveryReplicaInTurn()
    {
        var (first, second) = (await StartReplicaAsync(), await StartReplicaAsync());
        var caller = await StartCallerAsync();

        await InvokeAsync(caller, 4);

        Assert.Equal((2, 2), (first.Recorder.At("whoami").Count, second.Recorder.At("whoami").Count));
    }

    [Fact]
    public async Task ReplicasOfAnAppIdShareItsStateStore()
    {
        var (first, second) = (await StartReplicaAsync(), await StartReplicaAsync());

        await first.Dapr.SaveStateAsync(Store, "k", new Note(7));

        Assert.Equal(7, (await second.Dapr.GetStateAsync<Note>(Store, "k")).Number);
        await second.Dapr.DeleteStateAsync(Store, "k");
        Assert.Null(await first.Dapr.GetStateAsync<Note?>(Store, "k"));
    }

    [Fact]
    public async Task WithOneReplicaStoppedEveryMessageAndInvocationGoesToTheOtherReplica()
    {
        var (first, second) = (await StartReplicaAsync(), await StartReplicaAsync());
        var caller = await StartCallerAsync();
        await second.StopAppAsync();

        await PublishAsync(caller, 6);
        await InvokeAsync(caller, 4);

        Assert.Equal(Enumerable.Range(1, 6), Numbers(first).Order());
        Assert.Equal(4, first.Recorder.At("whoami").Count);
        Assert.Empty(second.Recorder.All);

        // A replica whose sidecar is gone too is no longer resolved at all.
        await _owned[1].DisposeAsync();
        _owned.RemoveAt(1);
        await InvokeAsync(caller, 2);
        Assert.Equal(6, first.Recorder.At("whoami").Count);
        Assert.Equal(new[] { first.Sidecar }, _testbed.Replicas(AppId));
    }

    [Fact]
    public async Task MessagesPublishedWhileEveryReplicaIsDownGoToTheReplicaThatComesBack()
    {
        var (first, second) = (await StartReplicaAsync(), await StartReplicaAsync());
        var caller = await StartCallerAsync();
        await first.StopAppAsync();
        await second.StopAppAsync();
        for (var n = 1; n <= 4; n++) await caller.Dapr.PublishEventAsync(PubSub, Topic, new Note(n));

        // Both replicas down: the messages wait in the group; the replica that comes back takes them all.
        await second.StartAppAsync();
        await _testbed.WaitForIdleAsync(Deadline);

        Assert.Equal(Enumerable.Range(1, 4), Numbers(second).Order());
    }

    [Fact]
    public async Task EachReplicasSidecarFiresItsOwnCronBinding()
    {
        TestApp[] replicas = [];
        for (var i = 0; i < 2; i++)
        {
            var app = await TestApp.StartAsync(_testbed, Options(AppId) with { Bindings = ["sweep"] }, a =>
            {
                a.MapMethods("/sweep", ["OPTIONS"], () => Results.Ok());
                a.MapPost("/sweep", TestApp.Recording("sweep"));
            });
            _owned.Add(app);
            replicas = [.. replicas, app];
        }

        // bindings.cron schedules in each daprd on its own (components-contrib bindings/cron Read):
        // a trigger is the one replica's, not the app id's.
        Assert.Equal(HttpStatusCode.OK, await replicas[0].Sidecar.TriggerBindingAsync("sweep"));

        Assert.Equal((1, 0), (replicas[0].Recorder.At("sweep").Count, replicas[1].Recorder.At("sweep").Count));
    }

    [Fact]
    public async Task TwoWorkflowWorkersOfOneAppIdBothGetWorkItemsAndEachInstanceCompletesOnce()
    {
        var probe = new Probe();
        var options = new SidecarOptions("workflow-app") { StateStores = [Store], ActorStateStore = Store };
        var sidecars = new[] { await _testbed.StartSidecarAsync(options), await _testbed.StartSidecarAsync(options) };
        foreach (var sidecar in sidecars)
        {
            _owned.Add(sidecar);
            _owned.Add(await WorkflowTestApp.StartAsync(sidecar, o =>
            {
                o.RegisterWorkflow<GreetWorkflow>();
                o.RegisterActivity<GreetActivity>();
            }, s => s.AddSingleton(probe)));
        }
        var client = ((WorkflowTestApp)_owned[1]).Client;
        var ids = Enumerable.Range(1, 12).Select(n => $"greet-{n}").ToList();

        using var cts = new CancellationTokenSource(Deadline);
        await Task.WhenAll(ids.Select(id => client.ScheduleNewWorkflowAsync(nameof(GreetWorkflow), id, id, startTime: null, cts.Token)));
        var states = await Task.WhenAll(ids.Select(id => client.WaitForWorkflowCompletionAsync(id, getInputsAndOutputs: true, cts.Token)));

        Assert.All(states, s => Assert.Equal(WorkflowRuntimeStatus.Completed, s.RuntimeStatus));
        Assert.Equal(ids.Select(id => $"Hello, {id}"), states.Select(s => s.ReadOutputAs<string>()));
        // One backend: each activity ran once and each instance ended once, whichever worker had it.
        Assert.Equal(ids.Count, probe[nameof(GreetActivity)]);
        var engine = _testbed.Workflows("workflow-app");
        Assert.All(ids, id => Assert.Single(engine.HistoryOf(id), e => e.EventTypeCase == EventCase.ExecutionCompleted));
        Assert.Equal(ids.Count * 3, sidecars.Sum(s => s.Calls[SidecarCallKind.WorkflowTurn] + s.Calls[SidecarCallKind.WorkflowActivity]));
        Assert.All(sidecars, s => Assert.True(
            s.Calls[SidecarCallKind.WorkflowTurn] + s.Calls[SidecarCallKind.WorkflowActivity] > 0, "each connected worker gets work items"));
    }

    public async ValueTask DisposeAsync()
    {
        // Apps before their sidecars, the testbed last.
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        await _testbed.DisposeAsync();
    }
}
