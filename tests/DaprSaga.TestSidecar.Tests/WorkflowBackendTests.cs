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

    private static SidecarOptions Options(string? token = null, bool actorStore = true) => new(AppId)
    {
        StateStores = [Store],
        ActorStateStore = actorStore ? Store : null,
        DaprApiToken = token,
    };

    /// <summary>Starts a workflow app beside a sidecar with <paramref name="options"/> (by default <see cref="Options"/>) on <paramref name="testbed"/>.</summary>
    private async Task<Rig> StartAsync(Testbed? testbed = null, SidecarOptions? options = null)
    {
        testbed ??= new Testbed();
        var sidecar = await testbed.StartSidecarAsync(options ?? Options());
        return new Rig(testbed, sidecar, await StartAppAsync(sidecar), StartAppAsync);
    }

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

    /// <summary>A testbed, one workflow app's sidecar on it and the app; disposed app first, testbed last.</summary>
    private sealed class Rig(Testbed testbed, Sidecar sidecar, WorkflowTestApp app, Func<Sidecar, Task<WorkflowTestApp>> startApp)
        : IAsyncDisposable
    {
        public Testbed Testbed => testbed;

        public Sidecar Sidecar { get; private set; } = sidecar;

        public WorkflowTestApp App { get; private set; } = app;

        public DaprWorkflowClient Client => App.Client;

        public WorkflowEngine Engine => testbed.Workflows(Sidecar.AppId);

        public async Task<string> ScheduleAsync(string workflow, string instanceId, object input)
        {
            using var cts = new CancellationTokenSource(Deadline);
            return await Client.ScheduleNewWorkflowAsync(workflow, instanceId, input, startTime: null, cts.Token);
        }

        public async Task<Dapr.Workflow.WorkflowState> CompletionAsync(string instanceId)
        {
            using var cts = new CancellationTokenSource(Deadline);
            return await Client.WaitForWorkflowCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
        }

        /// <summary>Schedules the workflow and waits for it to finish.</summary>
        public async Task<Dapr.Workflow.WorkflowState> RunAsync(string workflow, string instanceId, object input)
        {
            await ScheduleAsync(workflow, instanceId, input);
            return await CompletionAsync(instanceId);
        }

        /// <summary>Stops the app and its sidecar, then starts both again on the same testbed, where the workflows live.</summary>
        public async Task RestartAsync()
        {
            await StopAsync();
            Sidecar = await testbed.StartSidecarAsync(Sidecar.Options);
            App = await startApp(Sidecar);
        }

        private async Task StopAsync()
        {
            await App.DisposeAsync();
            await Sidecar.DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            await testbed.DisposeAsync();
        }
    }

    private static int Count(IEnumerable<HistoryEvent> history, EventCase kind) => history.Count(e => e.EventTypeCase == kind);

    /// <summary>The workflow ran to completion and returned <paramref name="output"/>.</summary>
    private static void AssertCompletedWith<T>(Dapr.Workflow.WorkflowState state, T output)
    {
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(output, state.ReadOutputAs<T>());
    }

    [Fact]
    public async Task AWorkflowRunsItsActivityAndCompletesWithItsOutputInTwoTurns()
    {
        await using var rig = await StartAsync();

        var state = await rig.RunAsync(nameof(GreetWorkflow), "greet-1", "Ada");

        AssertCompletedWith(state, "Hello, Ada");
        Assert.Equal("Ada", state.ReadInputAs<string>());
        Assert.Equal(1, _probe[nameof(GreetActivity)]);
        Assert.Equal(2, rig.Sidecar.Calls[SidecarCallKind.WorkflowTurn]);
        Assert.Equal(1, rig.Sidecar.Calls[SidecarCallKind.WorkflowActivity]);
        var history = rig.Engine.HistoryOf("greet-1");
        Assert.Equal(
            [EventCase.WorkflowStarted, EventCase.ExecutionStarted, EventCase.TaskScheduled, EventCase.WorkflowStarted, EventCase.TaskCompleted, EventCase.ExecutionCompleted],
            history.Select(e => e.EventTypeCase));
        Assert.Equal(history[2].EventId, history[4].TaskCompleted.TaskScheduledId);
        Assert.Equal(history[2].TaskScheduled.TaskExecutionId, history[4].TaskCompleted.TaskExecutionId);
    }

    [Fact]
    public async Task AFailedActivitySurfacesInTheWorkflowAsWorkflowTaskFailedException()
    {
        await using var rig = await StartAsync();

        var state = await rig.RunAsync(nameof(CatchingWorkflow), "catch-1", "widget");

        AssertCompletedWith(state, "System.InvalidOperationException|widget is out of stock|True");
        // daprd never retries a failed activity by itself.
        Assert.Equal(1, _probe[nameof(OutOfStockActivity)]);
        Assert.Equal(1, Count(rig.Engine.HistoryOf("catch-1"), EventCase.TaskFailed));
    }

    [Fact]
    public async Task AnUncaughtActivityFailureFailsTheWorkflowWithItsDetails()
    {
        await using var rig = await StartAsync();

        var state = await rig.RunAsync(nameof(UncaughtWorkflow), "uncaught-1", "widget");

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.NotNull(state.FailureDetails);
        Assert.Contains("widget is out of stock", state.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWorkflowRetryPolicyRunsTheActivityAgainAfterEachDurableTimerOnTheFakeClock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var rig = await StartAsync(new Testbed(timeProvider: clock));

        await rig.ScheduleAsync(nameof(RetryingWorkflow), "retry-1", "charge");
        // Each failure makes the SDK wait on a durable timer (5 s, then 10 s) before the next attempt.
        foreach (var (attempt, wait) in new[] { (1, RetryingWorkflow.FirstRetryInterval), (2, RetryingWorkflow.FirstRetryInterval * 2) })
        {
            await rig.Engine.WaitForHistoryAsync("retry-1", h => Count(h, EventCase.TimerCreated) == attempt, Deadline);
            Assert.Equal(attempt, _probe[nameof(FlakyActivity)]);
            clock.Advance(wait - TimeSpan.FromMilliseconds(1));
            Assert.Equal(attempt - 1, Count(rig.Engine.HistoryOf("retry-1"), EventCase.TimerFired));
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        var state = await rig.CompletionAsync("retry-1");

        AssertCompletedWith(state, "charge after 3 attempts");
        var history = rig.Engine.HistoryOf("retry-1");
        Assert.Equal(3, Count(history, EventCase.TaskScheduled));
        Assert.Equal(2, Count(history, EventCase.TaskFailed));
        Assert.Equal(2, Count(history, EventCase.TimerFired));
    }

    [Fact]
    public async Task AWorkflowTimerFiresOnlyWhenTheFakeClockReachesIt()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var rig = await StartAsync(new Testbed(timeProvider: clock));

        await rig.ScheduleAsync(nameof(TimerWorkflow), "timer-1", 10);
        var created = (await rig.Engine.WaitForHistoryAsync("timer-1", h => Count(h, EventCase.TimerCreated) == 1, Deadline))
            .Single(e => e.EventTypeCase == EventCase.TimerCreated);
        Assert.Equal(clock.GetUtcNow().AddMinutes(10), created.TimerCreated.FireAt.ToDateTimeOffset());

        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(WorkflowRuntimeStatus.Running, (await rig.Client.GetWorkflowStateAsync("timer-1")).RuntimeStatus);
        clock.Advance(TimeSpan.FromMinutes(1));
        var state = await rig.CompletionAsync("timer-1");

        AssertCompletedWith(state, 10.0);
    }

    [Fact]
    public async Task AnEventRaisedBeforeTheWorkflowWaitsForItIsHandedToTheWait()
    {
        await using var rig = await StartAsync();

        await rig.ScheduleAsync(nameof(ApprovalWorkflow), "approval-1", "approval-gate");
        await _probe.WaitForAsync($"{nameof(GatedActivity)}:approval-gate", 1, Deadline);
        await rig.Client.RaiseEventAsync("approval-1", "approval", "granted");
        // The event's turn runs while the activity is still busy: the SDK buffers it.
        await rig.Engine.WaitForHistoryAsync("approval-1", h => Count(h, EventCase.EventRaised) == 1, Deadline);
        _probe.Open("approval-gate");
        var state = await rig.CompletionAsync("approval-1");

        AssertCompletedWith(state, "granted");
        var kinds = rig.Engine.HistoryOf("approval-1").Select(e => e.EventTypeCase).ToList();
        Assert.True(kinds.IndexOf(EventCase.EventRaised) < kinds.IndexOf(EventCase.TaskCompleted));
    }

    [Fact]
    public async Task ADroppedWorkflowStreamHandsOutItsTurnAndItsUnfinishedActivityAgain()
    {
        // Turn 1 goes through; the stream ends right after turn 2 is sent, while the gated
        // activity is still running. The worker reconnects after its fixed 5 s (wall clock).
        var plan = FaultPlans.StartingWith(FaultKind.WorkflowStreamDrop, 0.5, false, true, false, false, false, false);
        await using var rig = await StartAsync(new Testbed(plan));

        await rig.ScheduleAsync(nameof(FanOutWorkflow), "fanout-1", "fanout-gate");
        await _probe.WaitForAsync($"{nameof(GatedActivity)}:fanout-gate", 1, Deadline);
        await rig.Engine.WaitUntilAsync(e => e.Redispatched == 2, Deadline);
        // The worker finishes what it holds (its answers now carry stale tokens), then reconnects.
        _probe.Open("fanout-gate");
        var state = await rig.CompletionAsync("fanout-1");

        AssertCompletedWith(state, "quick+fanout-gate");
        Assert.Equal(1, plan.Injected[FaultKind.WorkflowStreamDrop]);
        Assert.Equal(1, _probe[$"{nameof(EchoActivity)}:quick"]);
        Assert.Equal(2, _probe[$"{nameof(GatedActivity)}:fanout-gate"]);
        Assert.Equal(3, rig.Sidecar.Calls[SidecarCallKind.WorkflowActivity]);
        var history = rig.Engine.HistoryOf("fanout-1");
        Assert.Equal(2, Count(history, EventCase.TaskCompleted));
        Assert.Equal(1, Count(history, EventCase.ExecutionCompleted));
    }

    [Fact]
    public async Task ALostWorkflowActivityResultRunsTheActivityAgain()
    {
        var plan = FaultPlans.StartingWith(FaultKind.LostActivityResult, 0.5, true, false, false);
        await using var rig = await StartAsync(new Testbed(plan));

        var state = await rig.RunAsync(nameof(GreetWorkflow), "lost-1", "Ada");

        Assert.Equal("Hello, Ada", state.ReadOutputAs<string>());
        Assert.Equal(1, plan.Injected[FaultKind.LostActivityResult]);
        Assert.Equal(2, _probe[nameof(GreetActivity)]);
        Assert.Equal(2, rig.Sidecar.Calls[SidecarCallKind.WorkflowActivity]);
        Assert.Equal(1, rig.Engine.Redispatched);
        Assert.Equal(1, Count(rig.Engine.HistoryOf("lost-1"), EventCase.TaskCompleted));
    }

    [Fact]
    public async Task ARestartedWorkflowAppAndSidecarReplayFromHistoryWithoutRunningFinishedActivitiesAgain()
    {
        await using var rig = await StartAsync();
        await rig.ScheduleAsync(nameof(ResumableWorkflow), "resume-1", "one");
        // The turn that took the first result is committed: the workflow now waits for "go".
        await rig.Engine.WaitForHistoryAsync("resume-1", h => Count(h, EventCase.TaskCompleted) == 1, Deadline);

        await rig.RestartAsync();
        await rig.Client.RaiseEventAsync("resume-1", "go", "two");
        var state = await rig.CompletionAsync("resume-1");

        AssertCompletedWith(state, "one+two");
        Assert.Equal(1, _probe[$"{nameof(EchoActivity)}:one"]);
        Assert.Equal(1, _probe[$"{nameof(EchoActivity)}:two"]);
    }

    [Fact]
    public async Task TheWorkflowBackendIgnoresStaleTokensAndDuplicateActivityResults()
    {
        await using var testbed = new Testbed();
        await using var sidecar = await testbed.StartSidecarAsync(Options());
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
        await using var rig = await StartAsync();

        await rig.ScheduleAsync(nameof(WaitingWorkflow), "terminate-1", "x");
        // Only finished instances can be purged (durabletask-go purgeWorkflowState).
        var refused = await Assert.ThrowsAsync<RpcException>(() => rig.Client.PurgeInstanceAsync("terminate-1"));
        Assert.Contains("orchestration has not yet completed", refused.Status.Detail, StringComparison.Ordinal);

        using var cts = new CancellationTokenSource(Deadline);
        await rig.Client.TerminateWorkflowAsync("terminate-1", "stopped by test", cts.Token);
        var state = await rig.Client.GetWorkflowStateAsync("terminate-1", getInputsAndOutputs: true, cts.Token);
        Assert.Equal(WorkflowRuntimeStatus.Terminated, state!.RuntimeStatus);
        // The .NET worker acknowledges a termination with CompleteWorkflow(Terminated) and no result.
        Assert.Null(state.ReadOutputAs<string>());

        Assert.True(await rig.Client.PurgeInstanceAsync("terminate-1", cts.Token));
        Assert.False((await rig.Client.GetWorkflowStateAsync("terminate-1", cancellation: cts.Token))!.Exists);
        Assert.Empty(rig.Engine.InstanceIds);
    }

    private static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static SidecarOptions Retaining(WorkflowStateRetention retention) => Options() with { WorkflowStateRetention = retention };

    private static Task WaitUntilPurgedAsync(Rig rig, string instanceId) =>
        rig.Engine.WaitUntilAsync(e => !e.InstanceIds.Contains(instanceId), Deadline);

    [Fact]
    public async Task AFinishedInstanceIsKeptUntilItsRetentionTimeAndPurgedOnceTheClockPassesIt()
    {
        var clock = NewClock();
        await using var rig = await StartAsync(new Testbed(timeProvider: clock), Retaining(new(AnyTerminal: TimeSpan.FromHours(168))));

        await rig.RunAsync(nameof(GreetWorkflow), "retained-1", "Ada");
        clock.Advance(TimeSpan.FromHours(168) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(WorkflowRuntimeStatus.Completed, (await rig.Client.GetWorkflowStateAsync("retained-1"))!.RuntimeStatus);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await WaitUntilPurgedAsync(rig, "retained-1");

        Assert.False((await rig.Client.GetWorkflowStateAsync("retained-1"))!.Exists);
        Assert.Empty(rig.Engine.HistoryOf("retained-1"));
    }

    [Fact]
    public async Task TheRetentionOfAnInstancesOwnTerminalStatusWinsOverAnyTerminal()
    {
        var clock = NewClock();
        var retention = new WorkflowStateRetention(AnyTerminal: TimeSpan.FromHours(168), Failed: TimeSpan.FromHours(1));
        await using var rig = await StartAsync(new Testbed(timeProvider: clock), Retaining(retention));

        Assert.Equal(WorkflowRuntimeStatus.Failed, (await rig.RunAsync(nameof(UncaughtWorkflow), "failed-1", "widget")).RuntimeStatus);
        Assert.Equal(WorkflowRuntimeStatus.Completed, (await rig.RunAsync(nameof(GreetWorkflow), "completed-1", "Ada")).RuntimeStatus);
        clock.Advance(TimeSpan.FromHours(1));
        await WaitUntilPurgedAsync(rig, "failed-1");

        Assert.Equal(["completed-1"], rig.Engine.InstanceIds);
        clock.Advance(TimeSpan.FromHours(167));
        await WaitUntilPurgedAsync(rig, "completed-1");
    }

    [Fact]
    public async Task ARunningInstanceIsNeverPurgedNorOneStartedAgainUnderAFinishedId()
    {
        var clock = NewClock();
        await using var rig = await StartAsync(new Testbed(timeProvider: clock), Retaining(new(AnyTerminal: TimeSpan.FromHours(1))));

        await rig.ScheduleAsync(nameof(WaitingWorkflow), "running-1", "x");
        await rig.RunAsync(nameof(GreetWorkflow), "again-1", "Ada");
        clock.Advance(TimeSpan.FromMinutes(30));
        // The first run's retention reminder still fires at its end + 1 h, and finds the id running
        // again: daprd drops it (ErrNotCompleted).
        await rig.ScheduleAsync(nameof(WaitingWorkflow), "again-1", "x");
        clock.Advance(TimeSpan.FromDays(100));

        foreach (var id in new[] { "running-1", "again-1" })
            Assert.Equal(WorkflowRuntimeStatus.Running, (await rig.Client.GetWorkflowStateAsync(id))!.RuntimeStatus);
        Assert.Equal(["again-1", "running-1"], rig.Engine.InstanceIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AZeroRetentionPurgesAnInstanceAsSoonAsItEnds()
    {
        var clock = NewClock();
        await using var rig = await StartAsync(new Testbed(timeProvider: clock), Retaining(new(Completed: TimeSpan.Zero)));

        await rig.ScheduleAsync(nameof(GreetWorkflow), "at-once-1", "Ada");
        await WaitUntilPurgedAsync(rig, "at-once-1");

        Assert.Equal(1, _probe[nameof(GreetActivity)]);
        Assert.False((await rig.Client.GetWorkflowStateAsync("at-once-1"))!.Exists);
    }

    [Fact]
    public async Task ASuspendedWorkflowReportsSuspendedUntilItIsResumed()
    {
        await using var rig = await StartAsync();
        using var cts = new CancellationTokenSource(Deadline);

        await rig.ScheduleAsync(nameof(WaitingWorkflow), "suspend-1", "x");
        await rig.Client.SuspendWorkflowAsync("suspend-1", "maintenance", cts.Token);
        Assert.Equal(WorkflowRuntimeStatus.Suspended, (await rig.Client.GetWorkflowStateAsync("suspend-1", cancellation: cts.Token))!.RuntimeStatus);
        await rig.Client.ResumeWorkflowAsync("suspend-1", "done", cts.Token);
        Assert.Equal(WorkflowRuntimeStatus.Running, (await rig.Client.GetWorkflowStateAsync("suspend-1", cancellation: cts.Token))!.RuntimeStatus);
        await rig.Client.RaiseEventAsync("suspend-1", "never", "after all", cts.Token);

        Assert.Equal("after all", (await rig.CompletionAsync("suspend-1")).ReadOutputAs<string>());
    }

    [Fact]
    public async Task StartingAWorkflowWithTheIdOfARunningOneFailsWithAlreadyExists()
    {
        await using var rig = await StartAsync();

        await rig.ScheduleAsync(nameof(WaitingWorkflow), "dup-1", "x");
        var e = await Assert.ThrowsAsync<RpcException>(() => rig.ScheduleAsync(nameof(GreetWorkflow), "dup-1", "Ada"));

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        Assert.Equal(WorkflowRuntimeStatus.Running, (await rig.Client.GetWorkflowStateAsync("dup-1"))!.RuntimeStatus);
    }

    [Fact]
    public async Task StartingAWorkflowWithTheIdOfAFinishedOneResetsItAndRunsItAgain()
    {
        await using var rig = await StartAsync();

        await rig.ScheduleAsync(nameof(GreetWorkflow), "again-1", "Ada");
        Assert.Equal("Hello, Ada", (await rig.CompletionAsync("again-1")).ReadOutputAs<string>());
        var state = await rig.RunAsync(nameof(GreetWorkflow), "again-1", "Bob");

        Assert.Equal("Hello, Bob", state.ReadOutputAs<string>());
        var history = rig.Engine.HistoryOf("again-1");
        Assert.Equal("\"Bob\"", Assert.Single(history, e => e.EventTypeCase == EventCase.ExecutionStarted).ExecutionStarted.Input);
    }

    [Fact]
    public async Task RaisingAnEventToAnUnknownWorkflowFailsAndToAFinishedOneIsDropped()
    {
        await using var rig = await StartAsync();

        var unknown = await Assert.ThrowsAsync<RpcException>(() => rig.Client.RaiseEventAsync("nobody", "approval", "x"));
        Assert.Equal(WorkflowEngine.InstanceNotFoundText, unknown.Status.Detail);

        await rig.ScheduleAsync(nameof(GreetWorkflow), "finished-1", "Ada");
        await rig.CompletionAsync("finished-1");
        await rig.Client.RaiseEventAsync("finished-1", "approval", "late");

        Assert.Equal(0, Count(rig.Engine.HistoryOf("finished-1"), EventCase.EventRaised));
    }

    [Fact]
    public async Task WorkflowCallsFailAsDaprdFailsThemWithoutAnActorStateStore()
    {
        await using var rig = await StartAsync(options: Options(actorStore: false));

        var e = await Assert.ThrowsAsync<RpcException>(() => rig.ScheduleAsync(nameof(GreetWorkflow), "no-store-1", "Ada"));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("actorStateStore", e.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("failed to create workflow instance: ", e.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(rig.Engine.InstanceIds);
        Assert.Equal(0, _probe[nameof(GreetActivity)]);
    }

    [Fact]
    public async Task WorkflowCallsCarryTheDaprApiTokenAndAreRefusedWithoutIt()
    {
        await using var rig = await StartAsync(options: Options(token: "wf-token"));

        await rig.ScheduleAsync(nameof(GreetWorkflow), "token-1", "Ada");
        Assert.Equal("Hello, Ada", (await rig.CompletionAsync("token-1")).ReadOutputAs<string>());

        using var channel = GrpcChannel.ForAddress(rig.Sidecar.GrpcEndpoint);
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
        await using var rig = await StartAsync();

        var state = await rig.RunAsync(nameof(CountdownWorkflow), "countdown-1", 2);

        AssertCompletedWith(state, "lift-off");
        Assert.All(new[] { 2, 1, 0 }, n => Assert.Equal(1, _probe[$"{nameof(EchoActivity)}:countdown-{n}"]));
        var history = rig.Engine.HistoryOf("countdown-1");
        Assert.Equal("0", Assert.Single(history, e => e.EventTypeCase == EventCase.ExecutionStarted).ExecutionStarted.Input);
        Assert.Single(history, e => e.EventTypeCase == EventCase.TaskScheduled);
    }

    [Fact]
    public async Task TheWorkflowActivityLimitHoldsBackActivitiesUntilAnEarlierOneIsAnswered()
    {
        await using var rig = await StartAsync(options: Options() with { MaxConcurrentActivityInvocations = 1 });

        await rig.ScheduleAsync(nameof(PairWorkflow), "pair-1", "pair");
        await _probe.WaitForAsync($"{nameof(GatedActivity)}:pair-a", 1, Deadline);
        Assert.Equal(1, rig.Sidecar.Calls[SidecarCallKind.WorkflowActivity]);
        _probe.Open("pair-a");
        await _probe.WaitForAsync($"{nameof(GatedActivity)}:pair-b", 1, Deadline);
        _probe.Open("pair-b");

        Assert.Equal("pair-a+pair-b", (await rig.CompletionAsync("pair-1")).ReadOutputAs<string>());
        Assert.Equal(2, rig.Sidecar.Calls[SidecarCallKind.WorkflowActivity]);
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
        await using var rig = await StartAsync(
            options: new SidecarOptions(AppIds.OrderProcessService).WithComponentStateStores().WithConfigurationWorkflowLimits());

        Assert.Equal("Hello, Ada", (await rig.RunAsync(nameof(GreetWorkflow), "components-1", "Ada")).ReadOutputAs<string>());
        Assert.Single(rig.Testbed.Workflows(AppIds.OrderProcessService).InstanceIds);
    }
}
