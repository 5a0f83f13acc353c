using Dapr.DurableTask.Protobuf;
using Dapr.Workflow;
using DaprSaga.TestSidecar.Workflow;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Time.Testing;
using EventCase = Dapr.DurableTask.Protobuf.HistoryEvent.EventTypeOneofCase;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>
/// The test sidecar's Dapr Workflow backend, driven by the real Dapr.Workflow worker and
/// DaprWorkflowClient (and, where only a hand-written worker can misbehave, by the raw protocol).
/// </summary>
public sealed class WorkflowBackendTests
{
    private const string AppId = "workflow-app";
    private const string Store = "process-store";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly Probe _probe = new();

    private static Task<Sidecar> StartSidecarAsync(Testbed testbed, string? token = null, bool actorStore = true) =>
        testbed.StartSidecarAsync(new SidecarOptions(AppId)
        {
            StateStores = [Store],
            ActorStateStore = actorStore ? Store : null,
            DaprApiToken = token,
        });

    private Task<WorkflowTestApp> StartAppAsync(Sidecar sidecar) =>
        WorkflowTestApp.StartAsync(sidecar, o =>
        {
            o.RegisterWorkflow<GreetWorkflow>();
            o.RegisterWorkflow<CatchingWorkflow>();
            o.RegisterWorkflow<UncaughtWorkflow>();
            o.RegisterWorkflow<RetryingWorkflow>();
            o.RegisterWorkflow<TimerWorkflow>();
            o.RegisterWorkflow<ApprovalWorkflow>();
            o.RegisterWorkflow<FanOutWorkflow>();
            o.RegisterWorkflow<ResumableWorkflow>();
            o.RegisterWorkflow<WaitingWorkflow>();
            o.RegisterWorkflow<PairWorkflow>();
            o.RegisterWorkflow<CountdownWorkflow>();
            o.RegisterActivity<GreetActivity>();
            o.RegisterActivity<OutOfStockActivity>();
            o.RegisterActivity<FlakyActivity>();
            o.RegisterActivity<GatedActivity>();
            o.RegisterActivity<EchoActivity>();
        }, s => s.AddSingleton(_probe));

    private static async Task<string> ScheduleAsync(WorkflowTestApp app, string workflow, string instanceId, object input)
    {
        using var cts = new CancellationTokenSource(Deadline);
        return await app.Client.ScheduleNewWorkflowAsync(workflow, instanceId, input, startTime: null, cts.Token);
    }

    private static async Task<Dapr.Workflow.WorkflowState> CompletionAsync(WorkflowTestApp app, string instanceId)
    {
        using var cts = new CancellationTokenSource(Deadline);
        return await app.Client.WaitForWorkflowCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    private static int Count(IEnumerable<HistoryEvent> history, EventCase kind) => history.Count(e => e.EventTypeCase == kind);

    /// <summary>The first seed whose first rolls of <paramref name="kind"/> at <paramref name="p"/> are <paramref name="prefix"/>.</summary>
    private static int SeedStartingWith(FaultKind kind, double p, params bool[] prefix)
    {
        for (var seed = 0; ; seed++)
        {
            var replica = new FaultPlan(seed).With(kind, p);
            if (prefix.All(expected => replica.Roll(kind) == expected)) return seed;
        }
    }

    [Fact]
    public async Task AWorkflowRunsItsActivityAndCompletesWithItsOutputInTwoTurns()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(GreetWorkflow), "greet-1", "Ada");
        var state = await CompletionAsync(app, "greet-1");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("Hello, Ada", state.ReadOutputAs<string>());
        Assert.Equal("Ada", state.ReadInputAs<string>());
        Assert.Equal(1, _probe[nameof(GreetActivity)]);
        Assert.Equal(2, sidecar.Calls[SidecarCallKind.WorkflowTurn]);
        Assert.Equal(1, sidecar.Calls[SidecarCallKind.WorkflowActivity]);
        var history = testbed.Workflows(AppId).HistoryOf("greet-1");
        Assert.Equal(
            [EventCase.WorkflowStarted, EventCase.ExecutionStarted, EventCase.TaskScheduled, EventCase.WorkflowStarted, EventCase.TaskCompleted, EventCase.ExecutionCompleted],
            history.Select(e => e.EventTypeCase));
        Assert.Equal(history[2].EventId, history[4].TaskCompleted.TaskScheduledId);
        Assert.Equal(history[2].TaskScheduled.TaskExecutionId, history[4].TaskCompleted.TaskExecutionId);
    }

    [Fact]
    public async Task AFailedActivitySurfacesInTheWorkflowAsWorkflowTaskFailedException()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(CatchingWorkflow), "catch-1", "widget");
        var state = await CompletionAsync(app, "catch-1");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("System.InvalidOperationException|widget is out of stock|True", state.ReadOutputAs<string>());
        // daprd never retries a failed activity by itself.
        Assert.Equal(1, _probe[nameof(OutOfStockActivity)]);
        Assert.Equal(1, Count(testbed.Workflows(AppId).HistoryOf("catch-1"), EventCase.TaskFailed));
    }

    [Fact]
    public async Task AnUncaughtActivityFailureFailsTheWorkflowWithItsDetails()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(UncaughtWorkflow), "uncaught-1", "widget");
        var state = await CompletionAsync(app, "uncaught-1");

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.NotNull(state.FailureDetails);
        Assert.Contains("widget is out of stock", state.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWorkflowRetryPolicyRunsTheActivityAgainAfterEachDurableTimerOnTheFakeClock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var testbed = new Testbed(timeProvider: clock);
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);
        var engine = testbed.Workflows(AppId);

        await ScheduleAsync(app, nameof(RetryingWorkflow), "retry-1", "charge");
        // Each failure makes the SDK wait on a durable timer (5 s, then 10 s) before the next attempt.
        foreach (var (attempt, wait) in new[] { (1, RetryingWorkflow.FirstRetryInterval), (2, RetryingWorkflow.FirstRetryInterval * 2) })
        {
            await engine.WaitForHistoryAsync("retry-1", h => Count(h, EventCase.TimerCreated) == attempt, Deadline);
            Assert.Equal(attempt, _probe[nameof(FlakyActivity)]);
            clock.Advance(wait - TimeSpan.FromMilliseconds(1));
            Assert.Equal(attempt - 1, Count(engine.HistoryOf("retry-1"), EventCase.TimerFired));
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        var state = await CompletionAsync(app, "retry-1");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("charge after 3 attempts", state.ReadOutputAs<string>());
        var history = engine.HistoryOf("retry-1");
        Assert.Equal(3, Count(history, EventCase.TaskScheduled));
        Assert.Equal(2, Count(history, EventCase.TaskFailed));
        Assert.Equal(2, Count(history, EventCase.TimerFired));
    }

    [Fact]
    public async Task AWorkflowTimerFiresOnlyWhenTheFakeClockReachesIt()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var testbed = new Testbed(timeProvider: clock);
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);
        var engine = testbed.Workflows(AppId);

        await ScheduleAsync(app, nameof(TimerWorkflow), "timer-1", 10);
        var created = (await engine.WaitForHistoryAsync("timer-1", h => Count(h, EventCase.TimerCreated) == 1, Deadline))
            .Single(e => e.EventTypeCase == EventCase.TimerCreated);
        Assert.Equal(clock.GetUtcNow().AddMinutes(10), created.TimerCreated.FireAt.ToDateTimeOffset());

        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(WorkflowRuntimeStatus.Running, (await app.Client.GetWorkflowStateAsync("timer-1")).RuntimeStatus);
        clock.Advance(TimeSpan.FromMinutes(1));
        var state = await CompletionAsync(app, "timer-1");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(10.0, state.ReadOutputAs<double>());
    }

    [Fact]
    public async Task AnEventRaisedBeforeTheWorkflowWaitsForItIsHandedToTheWait()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);
        var engine = testbed.Workflows(AppId);

        await ScheduleAsync(app, nameof(ApprovalWorkflow), "approval-1", "approval-gate");
        await _probe.WaitForAsync($"{nameof(GatedActivity)}:approval-gate", 1, Deadline);
        await app.Client.RaiseEventAsync("approval-1", "approval", "granted");
        // The event's turn runs while the activity is still busy: the SDK buffers it.
        await engine.WaitForHistoryAsync("approval-1", h => Count(h, EventCase.EventRaised) == 1, Deadline);
        _probe.Open("approval-gate");
        var state = await CompletionAsync(app, "approval-1");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("granted", state.ReadOutputAs<string>());
        var kinds = engine.HistoryOf("approval-1").Select(e => e.EventTypeCase).ToList();
        Assert.True(kinds.IndexOf(EventCase.EventRaised) < kinds.IndexOf(EventCase.TaskCompleted));
    }

    [Fact]
    public async Task ADroppedWorkflowStreamHandsOutItsTurnAndItsUnfinishedActivityAgain()
    {
        // Turn 1 goes through; the stream ends right after turn 2 is sent, while the gated
        // activity is still running. The worker reconnects after its fixed 5 s (wall clock).
        var plan = new FaultPlan(SeedStartingWith(FaultKind.WorkflowStreamDrop, 0.5, false, true, false, false, false, false))
            .With(FaultKind.WorkflowStreamDrop, 0.5);
        await using var testbed = new Testbed(plan);
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);
        var engine = testbed.Workflows(AppId);

        await ScheduleAsync(app, nameof(FanOutWorkflow), "fanout-1", "fanout-gate");
        await _probe.WaitForAsync($"{nameof(GatedActivity)}:fanout-gate", 1, Deadline);
        await engine.WaitUntilAsync(e => e.Redispatched == 2, Deadline);
        // The worker finishes what it holds (its answers now carry stale tokens), then reconnects.
        _probe.Open("fanout-gate");
        var state = await CompletionAsync(app, "fanout-1");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("quick+fanout-gate", state.ReadOutputAs<string>());
        Assert.Equal(1, plan.Injected[FaultKind.WorkflowStreamDrop]);
        Assert.Equal(1, _probe[$"{nameof(EchoActivity)}:quick"]);
        Assert.Equal(2, _probe[$"{nameof(GatedActivity)}:fanout-gate"]);
        Assert.Equal(3, sidecar.Calls[SidecarCallKind.WorkflowActivity]);
        var history = engine.HistoryOf("fanout-1");
        Assert.Equal(2, Count(history, EventCase.TaskCompleted));
        Assert.Equal(1, Count(history, EventCase.ExecutionCompleted));
    }

    [Fact]
    public async Task ALostWorkflowActivityResultRunsTheActivityAgain()
    {
        var plan = new FaultPlan(SeedStartingWith(FaultKind.LostActivityResult, 0.5, true, false, false))
            .With(FaultKind.LostActivityResult, 0.5);
        await using var testbed = new Testbed(plan);
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(GreetWorkflow), "lost-1", "Ada");
        var state = await CompletionAsync(app, "lost-1");

        Assert.Equal("Hello, Ada", state.ReadOutputAs<string>());
        Assert.Equal(1, plan.Injected[FaultKind.LostActivityResult]);
        Assert.Equal(2, _probe[nameof(GreetActivity)]);
        Assert.Equal(2, sidecar.Calls[SidecarCallKind.WorkflowActivity]);
        Assert.Equal(1, testbed.Workflows(AppId).Redispatched);
        Assert.Equal(1, Count(testbed.Workflows(AppId).HistoryOf("lost-1"), EventCase.TaskCompleted));
    }

    [Fact]
    public async Task ARestartedWorkflowAppAndSidecarReplayFromHistoryWithoutRunningFinishedActivitiesAgain()
    {
        await using var testbed = new Testbed();
        var engine = testbed.Workflows(AppId);
        await using (var sidecar = await StartSidecarAsync(testbed))
        await using (var app = await StartAppAsync(sidecar))
        {
            await ScheduleAsync(app, nameof(ResumableWorkflow), "resume-1", "one");
            // The turn that took the first result is committed: the workflow now waits for "go".
            await engine.WaitForHistoryAsync("resume-1", h => Count(h, EventCase.TaskCompleted) == 1, Deadline);
        }

        await using var restarted = await StartSidecarAsync(testbed);
        await using var restartedApp = await StartAppAsync(restarted);
        await restartedApp.Client.RaiseEventAsync("resume-1", "go", "two");
        var state = await CompletionAsync(restartedApp, "resume-1");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("one+two", state.ReadOutputAs<string>());
        Assert.Equal(1, _probe[$"{nameof(EchoActivity)}:one"]);
        Assert.Equal(1, _probe[$"{nameof(EchoActivity)}:two"]);
    }

    [Fact]
    public async Task TheWorkflowBackendIgnoresStaleTokensAndDuplicateActivityResults()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        using var channel = GrpcChannel.ForAddress(sidecar.GrpcEndpoint);
        var client = new TaskHubSidecarService.TaskHubSidecarServiceClient(channel);
        using var cts = new CancellationTokenSource(Deadline);
        using var stream = client.GetWorkItems(new GetWorkItemsRequest(), cancellationToken: cts.Token);
        const string id = "raw-1";

        var start = client.StartInstanceAsync(new CreateInstanceRequest { InstanceId = id, Name = "Raw", Input = "\"in\"" }, cancellationToken: cts.Token).ResponseAsync;
        Assert.True(await stream.ResponseStream.MoveNext(cts.Token));
        var turn1 = stream.ResponseStream.Current;
        Assert.Empty(turn1.WorkflowRequest.PastEvents);
        Assert.Equal([EventCase.WorkflowStarted, EventCase.ExecutionStarted], turn1.WorkflowRequest.NewEvents.Select(e => e.EventTypeCase));
        Assert.Null(turn1.WorkflowRequest.CachedHistory);

        // A token the backend never issued: ignored, the instance is still pending.
        await client.CompleteWorkflowTaskAsync(Completing(id, "not-a-token", "\"bogus\""), cancellationToken: cts.Token);
        Assert.Equal(OrchestrationStatus.Pending, (await client.GetInstanceAsync(new GetInstanceRequest { InstanceId = id }, cancellationToken: cts.Token)).WorkflowState.WorkflowStatus);
        Assert.False(start.IsCompleted);

        await client.CompleteWorkflowTaskAsync(new WorkflowResponse
        {
            InstanceId = id,
            CompletionToken = turn1.CompletionToken,
            Actions = { new WorkflowAction { Id = 0, ScheduleTask = new ScheduleTaskAction { Name = "Act", Input = "\"in\"" } } },
        }, cancellationToken: cts.Token);
        await start;
        Assert.True(await stream.ResponseStream.MoveNext(cts.Token));
        var activity = stream.ResponseStream.Current;
        Assert.Equal("Act", activity.ActivityRequest.Name);
        Assert.Equal(0, activity.ActivityRequest.TaskId);

        // The same result twice (and a late one): only the first is recorded.
        foreach (var result in new[] { "\"first\"", "\"second\"" })
        {
            await client.CompleteActivityTaskAsync(new ActivityResponse { InstanceId = id, TaskId = 0, Result = result, CompletionToken = activity.CompletionToken }, cancellationToken: cts.Token);
        }
        Assert.True(await stream.ResponseStream.MoveNext(cts.Token));
        var turn2 = stream.ResponseStream.Current;
        Assert.Equal([EventCase.WorkflowStarted, EventCase.ExecutionStarted, EventCase.TaskScheduled], turn2.WorkflowRequest.PastEvents.Select(e => e.EventTypeCase));
        Assert.Equal([EventCase.WorkflowStarted, EventCase.TaskCompleted], turn2.WorkflowRequest.NewEvents.Select(e => e.EventTypeCase));
        Assert.Equal("\"first\"", turn2.WorkflowRequest.NewEvents[1].TaskCompleted.Result);

        // The first turn's token is stale now.
        await client.CompleteWorkflowTaskAsync(Completing(id, turn1.CompletionToken, "\"stale\""), cancellationToken: cts.Token);
        Assert.Equal(OrchestrationStatus.Running, (await client.GetInstanceAsync(new GetInstanceRequest { InstanceId = id }, cancellationToken: cts.Token)).WorkflowState.WorkflowStatus);
        await client.CompleteWorkflowTaskAsync(Completing(id, turn2.CompletionToken, "\"first\""), cancellationToken: cts.Token);
        var done = await client.WaitForInstanceCompletionAsync(new GetInstanceRequest { InstanceId = id, GetInputsAndOutputs = true }, cancellationToken: cts.Token);

        Assert.Equal(OrchestrationStatus.Completed, done.WorkflowState.WorkflowStatus);
        Assert.Equal("\"first\"", done.WorkflowState.Output);
        Assert.Equal(1, Count(testbed.Workflows(AppId).HistoryOf(id), EventCase.TaskCompleted));
        await cts.CancelAsync();
    }

    private static WorkflowResponse Completing(string instanceId, string token, string result) => new()
    {
        InstanceId = instanceId,
        CompletionToken = token,
        Actions = { new WorkflowAction { Id = 1, CompleteWorkflow = new CompleteWorkflowAction { WorkflowStatus = OrchestrationStatus.Completed, Result = result } } },
    };

    [Fact]
    public async Task TerminatingAWorkflowEndsItAndPurgingThenRemovesIt()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(WaitingWorkflow), "terminate-1", "x");
        // Only finished instances can be purged (durabletask-go purgeWorkflowState).
        var refused = await Assert.ThrowsAsync<RpcException>(() => app.Client.PurgeInstanceAsync("terminate-1"));
        Assert.Contains("orchestration has not yet completed", refused.Status.Detail, StringComparison.Ordinal);

        using var cts = new CancellationTokenSource(Deadline);
        await app.Client.TerminateWorkflowAsync("terminate-1", "stopped by test", cts.Token);
        var state = await app.Client.GetWorkflowStateAsync("terminate-1", getInputsAndOutputs: true, cts.Token);
        Assert.Equal(WorkflowRuntimeStatus.Terminated, state!.RuntimeStatus);
        // The .NET worker acknowledges a termination with CompleteWorkflow(Terminated) and no result.
        Assert.Null(state.ReadOutputAs<string>());

        Assert.True(await app.Client.PurgeInstanceAsync("terminate-1", cts.Token));
        Assert.False((await app.Client.GetWorkflowStateAsync("terminate-1", cancellation: cts.Token))!.Exists);
        Assert.Empty(testbed.Workflows(AppId).InstanceIds);
    }

    [Fact]
    public async Task ASuspendedWorkflowReportsSuspendedUntilItIsResumed()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);
        using var cts = new CancellationTokenSource(Deadline);

        await ScheduleAsync(app, nameof(WaitingWorkflow), "suspend-1", "x");
        await app.Client.SuspendWorkflowAsync("suspend-1", "maintenance", cts.Token);
        Assert.Equal(WorkflowRuntimeStatus.Suspended, (await app.Client.GetWorkflowStateAsync("suspend-1", cancellation: cts.Token))!.RuntimeStatus);
        await app.Client.ResumeWorkflowAsync("suspend-1", "done", cts.Token);
        Assert.Equal(WorkflowRuntimeStatus.Running, (await app.Client.GetWorkflowStateAsync("suspend-1", cancellation: cts.Token))!.RuntimeStatus);
        await app.Client.RaiseEventAsync("suspend-1", "never", "after all", cts.Token);

        Assert.Equal("after all", (await CompletionAsync(app, "suspend-1")).ReadOutputAs<string>());
    }

    [Fact]
    public async Task StartingAWorkflowWithTheIdOfARunningOneFailsWithAlreadyExists()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(WaitingWorkflow), "dup-1", "x");
        var e = await Assert.ThrowsAsync<RpcException>(() => ScheduleAsync(app, nameof(GreetWorkflow), "dup-1", "Ada"));

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        Assert.Equal(WorkflowRuntimeStatus.Running, (await app.Client.GetWorkflowStateAsync("dup-1"))!.RuntimeStatus);
    }

    [Fact]
    public async Task StartingAWorkflowWithTheIdOfAFinishedOneResetsItAndRunsItAgain()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(GreetWorkflow), "again-1", "Ada");
        Assert.Equal("Hello, Ada", (await CompletionAsync(app, "again-1")).ReadOutputAs<string>());
        await ScheduleAsync(app, nameof(GreetWorkflow), "again-1", "Bob");
        var state = await CompletionAsync(app, "again-1");

        Assert.Equal("Hello, Bob", state.ReadOutputAs<string>());
        var history = testbed.Workflows(AppId).HistoryOf("again-1");
        Assert.Equal("\"Bob\"", Assert.Single(history, e => e.EventTypeCase == EventCase.ExecutionStarted).ExecutionStarted.Input);
    }

    [Fact]
    public async Task RaisingAnEventToAnUnknownWorkflowFailsAndToAFinishedOneIsDropped()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);

        var unknown = await Assert.ThrowsAsync<RpcException>(() => app.Client.RaiseEventAsync("nobody", "approval", "x"));
        Assert.Equal(WorkflowEngine.InstanceNotFoundText, unknown.Status.Detail);

        await ScheduleAsync(app, nameof(GreetWorkflow), "finished-1", "Ada");
        await CompletionAsync(app, "finished-1");
        await app.Client.RaiseEventAsync("finished-1", "approval", "late");

        Assert.Equal(0, Count(testbed.Workflows(AppId).HistoryOf("finished-1"), EventCase.EventRaised));
    }

    [Fact]
    public async Task WorkflowCallsFailAsDaprdFailsThemWithoutAnActorStateStore()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed, actorStore: false);
        await using var app = await StartAppAsync(sidecar);

        var e = await Assert.ThrowsAsync<RpcException>(() => ScheduleAsync(app, nameof(GreetWorkflow), "no-store-1", "Ada"));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("actorStateStore", e.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("failed to create workflow instance: ", e.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(testbed.Workflows(AppId).InstanceIds);
        Assert.Equal(0, _probe[nameof(GreetActivity)]);
    }

    [Fact]
    public async Task WorkflowCallsCarryTheDaprApiTokenAndAreRefusedWithoutIt()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed, token: "wf-token");
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(GreetWorkflow), "token-1", "Ada");
        Assert.Equal("Hello, Ada", (await CompletionAsync(app, "token-1")).ReadOutputAs<string>());

        using var channel = GrpcChannel.ForAddress(sidecar.GrpcEndpoint);
        var anonymous = new TaskHubSidecarService.TaskHubSidecarServiceClient(channel);
        var e = await Assert.ThrowsAsync<RpcException>(() => anonymous.GetInstanceAsync(new GetInstanceRequest { InstanceId = "token-1" }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        using var stream = anonymous.GetWorkItems(new GetWorkItemsRequest());
        var s = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unauthenticated, s.StatusCode);
    }

    [Fact]
    public void TheWorkflowAppsActorStateStoreComesFromTheComponentFiles()
    {
        foreach (var set in new[] { "redis", "postgresql" })
        {
            var options = new SidecarOptions(AppIds.OrderProcessService).WithComponentStateStores(set);
            Assert.Equal(["process-store"], options.StateStores);
            Assert.Equal("process-store", options.ActorStateStore);
            Assert.Null(new SidecarOptions(AppIds.OrderService).WithComponentStateStores(set).ActorStateStore);
        }
    }

    [Fact]
    public async Task AWorkflowThatContinuesAsNewStartsAFreshHistoryWithTheNewInput()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await StartSidecarAsync(testbed);
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(CountdownWorkflow), "countdown-1", 2);
        var state = await CompletionAsync(app, "countdown-1");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("lift-off", state.ReadOutputAs<string>());
        Assert.All(new[] { 2, 1, 0 }, n => Assert.Equal(1, _probe[$"{nameof(EchoActivity)}:countdown-{n}"]));
        var history = testbed.Workflows(AppId).HistoryOf("countdown-1");
        Assert.Equal("0", Assert.Single(history, e => e.EventTypeCase == EventCase.ExecutionStarted).ExecutionStarted.Input);
        Assert.Single(history, e => e.EventTypeCase == EventCase.TaskScheduled);
    }

    [Fact]
    public async Task TheWorkflowActivityLimitHoldsBackActivitiesUntilAnEarlierOneIsAnswered()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await testbed.StartSidecarAsync(new SidecarOptions(AppId)
        {
            StateStores = [Store],
            ActorStateStore = Store,
            MaxConcurrentActivityInvocations = 1,
        });
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(PairWorkflow), "pair-1", "pair");
        await _probe.WaitForAsync($"{nameof(GatedActivity)}:pair-a", 1, Deadline);
        Assert.Equal(1, sidecar.Calls[SidecarCallKind.WorkflowActivity]);
        _probe.Open("pair-a");
        await _probe.WaitForAsync($"{nameof(GatedActivity)}:pair-b", 1, Deadline);
        _probe.Open("pair-b");

        Assert.Equal("pair-a+pair-b", (await CompletionAsync(app, "pair-1")).ReadOutputAs<string>());
        Assert.Equal(2, sidecar.Calls[SidecarCallKind.WorkflowActivity]);
    }

    [Fact]
    public void TheSidecarTakesItsWorkflowLimitsFromTheRepositorysConfiguration()
    {
        var options = new SidecarOptions(AppIds.OrderProcessService).WithConfigurationWorkflowLimits();

        Assert.Equal(100, options.MaxConcurrentWorkflowInvocations);
        Assert.Equal(100, options.MaxConcurrentActivityInvocations);
    }

    [Fact]
    public async Task AWorkflowRunsBesideASidecarLoadingTheRepositorysComponents()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await testbed.StartSidecarAsync(new SidecarOptions(AppIds.OrderProcessService).WithComponentStateStores().WithConfigurationWorkflowLimits());
        await using var app = await StartAppAsync(sidecar);

        await ScheduleAsync(app, nameof(GreetWorkflow), "components-1", "Ada");

        Assert.Equal("Hello, Ada", (await CompletionAsync(app, "components-1")).ReadOutputAs<string>());
        Assert.Single(testbed.Workflows(AppIds.OrderProcessService).InstanceIds);
    }
}
