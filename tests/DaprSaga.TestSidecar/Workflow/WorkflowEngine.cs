using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ProtoWorkflowInstance = Dapr.DurableTask.Protobuf.WorkflowInstance;

namespace DaprSaga.TestSidecar.Workflow;

/// <summary>
/// The workflow engine of one app id, as daprd runs it over its workflow actors (durabletask-go
/// `backend/executor.go` over dapr `pkg/runtime/wfengine/backends/actors`): one turn per instance
/// at a time with <c>newEvents = [WorkflowStarted(now)] + inbox</c> and the full history, a fresh
/// completion token per dispatch (stale ones ignored), activities run at least once, timers and the
/// retention purge of finished instances (<see cref="Retention"/>) on the testbed's clock. It lives on the <see cref="Testbed"/>, so instances outlive app and sidecar
/// restarts as actor state does.
/// </summary>
public sealed class WorkflowEngine
{
    /// <summary>daprd's error text for an instance id it has no state for (durabletask-go api.ErrInstanceNotFound).</summary>
    public const string InstanceNotFoundText = "no such instance exists";

    // Longer timers are re-armed when they fire early; a System timer refuses ~49.7 days or more.
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromDays(30);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, WorkflowInstance> _instances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Work> _byToken = new(StringComparer.Ordinal);
    private readonly Queue<Work> _turns = new();
    private readonly Queue<Work> _activities = new();
    private int _turnsOut, _activitiesOut;
    private readonly TimeProvider _time;
    private TaskCompletionSource _changed = NewSignal();
    private long _redispatched;

    internal WorkflowEngine(string appId, TimeProvider time) => (AppId, _time) = (appId, time);

    public string AppId { get; }

    /// <summary>
    /// Configuration spec.workflow.maxConcurrentWorkflowInvocations / maxConcurrentActivityInvocations
    /// of the app's daprd: at most this many turns (activities) handed out and not yet answered; the
    /// rest wait in the engine. Null is no limit (daprd's default). Set by the sidecar at start.
    /// </summary>
    public (int? Workflows, int? Activities) Limits
    {
        get { lock (_gate) return _limits; }
        set
        {
            lock (_gate)
            {
                _limits = value;
                Changed();
            }
        }
    }

    private (int? Workflows, int? Activities) _limits;

    /// <summary>
    /// Configuration spec.workflow.stateRetentionPolicy of the app's daprd: an instance that ends
    /// is purged its due time after it ended. Null purges nothing (daprd's default). Set by the
    /// sidecar at start; it applies to instances that end from then on, as in daprd.
    /// </summary>
    public WorkflowStateRetention? Retention
    {
        get { lock (_gate) return _retention; }
        set { lock (_gate) _retention = value; }
    }

    private WorkflowStateRetention? _retention;

    // The retention reminder of each instance id (daprd names it "retention", one per id).
    private readonly Dictionary<string, RetentionReminder> _retentionReminders = new(StringComparer.Ordinal);

    /// <summary>Instance ids the engine holds state for (purged ones are gone).</summary>
    public IReadOnlyList<string> InstanceIds
    {
        get { lock (_gate) return [.. _instances.Keys]; }
    }

    private Timestamp Now => Timestamp.FromDateTimeOffset(_time.GetUtcNow());

    /// <summary>The committed history of an instance (empty when unknown or purged).</summary>
    public IReadOnlyList<HistoryEvent> HistoryOf(string instanceId)
    {
        lock (_gate) return _instances.TryGetValue(instanceId, out var instance) ? [.. instance.History] : [];
    }

    /// <summary>
    /// Completes with the instance's committed history once <paramref name="condition"/> holds for
    /// it; throws <see cref="TimeoutException"/> after <paramref name="deadline"/>.
    /// </summary>
    public async Task<IReadOnlyList<HistoryEvent>> WaitForHistoryAsync(
        string instanceId, Func<IReadOnlyList<HistoryEvent>, bool> condition, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                IReadOnlyList<HistoryEvent> history = _instances.TryGetValue(instanceId, out var instance) ? [.. instance.History] : [];
                if (condition(history)) return history;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"workflow {instanceId}: history condition not met after {deadline}");
            }
        }
    }

    /// <summary>Work items handed out again: turns and activities of dropped streams, lost activity results.</summary>
    public long Redispatched
    {
        get { lock (_gate) return _redispatched; }
    }

    /// <summary>Completes once <paramref name="condition"/> holds after some change of the engine; throws <see cref="TimeoutException"/> after the deadline.</summary>
    public async Task WaitUntilAsync(Func<WorkflowEngine, bool> condition, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(this)) return;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"workflow engine of {AppId}: condition not met after {deadline}");
            }
        }
    }

    private void Changed()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Stops every durable timer; the testbed is going away.</summary>
    internal void StopTimers()
    {
        lock (_gate)
        {
            foreach (var instance in _instances.Values)
            {
                foreach (var timer in instance.Timers) timer.Dispose();
                instance.Timers.Clear();
            }
            foreach (var reminder in _retentionReminders.Values) reminder.Timer?.Dispose();
            _retentionReminders.Clear();
        }
    }

    // ---- client side -------------------------------------------------------------------------

    internal void Start(CreateInstanceRequest request)
    {
        lock (_gate)
        {
            if (_instances.TryGetValue(request.InstanceId, out var instance))
            {
                // dapr orchestrator/create.go: an active id is refused, a finished one is reset and reused.
                if (!instance.IsFinished)
                    throw new RpcException(new Status(StatusCode.AlreadyExists, $"an active workflow with ID '{request.InstanceId}' already exists"));
                instance.Reset();
            }
            else
            {
                instance = new WorkflowInstance(request.InstanceId);
                _instances[request.InstanceId] = instance;
            }

            var now = _time.GetUtcNow();
            instance.Name = request.Name;
            instance.Input = request.Input;
            instance.ExecutionId = request.ExecutionId is { Length: > 0 } executionId ? executionId : Guid.NewGuid().ToString("N");
            (instance.Created, instance.Updated) = (now, now);
            var started = new ExecutionStartedEvent
            {
                Name = request.Name,
                Version = request.Version,
                Input = request.Input,
                WorkflowInstance = new ProtoWorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
                ScheduledStartTimestamp = request.ScheduledStartTimestamp,
                ParentTraceContext = request.ParentTraceContext,
            };
            started.Tags.Add(request.Tags);
            instance.Inbox.Add(new HistoryEvent { EventId = -1, Timestamp = Timestamp.FromDateTimeOffset(now), ExecutionStarted = started });
            instance.Signal();
            Changed();
            TryDispatchTurn(instance);
        }
    }

    internal GetInstanceResponse Get(string instanceId, bool withPayloads)
    {
        lock (_gate)
        {
            return _instances.TryGetValue(instanceId, out var instance)
                ? new GetInstanceResponse { Exists = true, WorkflowState = instance.ToState(withPayloads) }
                : new GetInstanceResponse { Exists = false };
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the instance (durabletask-go waitForInstance).</summary>
    internal async Task<GetInstanceResponse> WaitAsync(
        string instanceId, bool withPayloads, Func<OrchestrationStatus, bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (!_instances.TryGetValue(instanceId, out var instance))
                    throw new RpcException(new Status(StatusCode.Unknown, InstanceNotFoundText));
                if (condition(instance.Status))
                    return new GetInstanceResponse { Exists = true, WorkflowState = instance.ToState(withPayloads) };
                changed = instance.Changed.Task;
            }
            await changed.WaitAsync(cancellationToken);
        }
    }

    internal void Raise(RaiseEventRequest request) =>
        AddEvent(request.InstanceId, errorPrefix: "",
            e => e.EventRaised = new EventRaisedEvent { Name = request.Name, Input = request.Input });

    internal void Terminate(TerminateRequest request) =>
        AddEvent(request.InstanceId, errorPrefix: "failed to submit termination request: ",
            e => e.ExecutionTerminated = new ExecutionTerminatedEvent { Input = request.Output, Recurse = request.Recursive });

    internal void Suspend(SuspendRequest request) =>
        AddEvent(request.InstanceId, errorPrefix: "",
            e => e.ExecutionSuspended = new ExecutionSuspendedEvent { Input = ReasonOrNull(request.Reason) });

    internal void Resume(ResumeRequest request) =>
        AddEvent(request.InstanceId, errorPrefix: "",
            e => e.ExecutionResumed = new ExecutionResumedEvent { Input = ReasonOrNull(request.Reason) });

    private static string? ReasonOrNull(string? reason) => reason is { Length: > 0 } ? reason : null;

    /// <summary>
    /// Adds an event to an instance's inbox (dapr orchestrator/add.go): unknown ids are an error,
    /// finished instances accept it and never run again, so it is dropped.
    /// </summary>
    private void AddEvent(string instanceId, string errorPrefix, Action<HistoryEvent> describe)
    {
        var e = new HistoryEvent { EventId = -1, Timestamp = Now };
        describe(e);
        lock (_gate)
        {
            if (!_instances.TryGetValue(instanceId, out var instance))
                throw new RpcException(new Status(StatusCode.Unknown, errorPrefix + InstanceNotFoundText));
            if (instance.IsFinished) return;
            instance.Inbox.Add(e);
            TryDispatchTurn(instance);
        }
    }

    /// <summary>
    /// Purges a finished instance (durabletask-go purgeWorkflowState, recursive as the SDK asks),
    /// with its retention reminder (orchestrator state.go cleanupWorkflowStateInternal).
    /// </summary>
    internal int Purge(string instanceId)
    {
        lock (_gate)
        {
            if (!_instances.TryGetValue(instanceId, out var instance))
                throw new RpcException(new Status(StatusCode.Unknown, "failed to purge workflow state: failed to fetch workflow state: " + InstanceNotFoundText));
            if (!instance.IsFinished)
                throw new RpcException(new Status(StatusCode.Unknown, "failed to purge workflow state: orchestration has not yet completed"));
            Forget(instance);
            CancelRetention(instanceId);
            return 1;
        }
    }

    private void Forget(WorkflowInstance instance)
    {
        _instances.Remove(instance.Id);
        instance.Reset();
        instance.Signal();
        Changed();
    }

    internal IReadOnlyList<HistoryEvent> History(string instanceId)
    {
        lock (_gate)
        {
            // dapr actors.go GetInstanceHistory.
            if (!_instances.TryGetValue(instanceId, out var instance))
                throw new RpcException(new Status(StatusCode.NotFound, $"workflow instance '{instanceId}' not found"));
            return [.. instance.History];
        }
    }

    // ---- worker side -------------------------------------------------------------------------

    /// <summary>
    /// The next work item for a worker stream, with a fresh completion token, or null when the
    /// stream's call ends first. Items that went stale while queued (a purged or finished
    /// instance, a recovered turn) are skipped.
    /// </summary>
    internal async Task<(Work Work, WorkItem Item)?> TakeAsync(string stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (TryClaim(_turns, ref _turnsOut, _limits.Workflows, stream) is { } turn) return (turn, turn.ToWorkItem());
                if (TryClaim(_activities, ref _activitiesOut, _limits.Activities, stream) is { } activity) return (activity, activity.ToWorkItem());
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    private Work? TryClaim(Queue<Work> queue, ref int outstanding, int? limit, string stream)
    {
        while (outstanding < (limit ?? int.MaxValue) && queue.TryDequeue(out var work))
        {
            if (!IsCurrent(work)) continue;
            work.Token = Guid.NewGuid().ToString("N");
            work.Stream = stream;
            _byToken[work.Token] = work;
            outstanding++;
            return work;
        }
        return null;
    }

    private void Enqueue(Work work)
    {
        (work is TurnWork ? _turns : _activities).Enqueue(work);
        Changed();
    }

    /// <summary>The work's dispatch is over (answered, recovered or gone stale): its token dies, its slot frees.</summary>
    private void Unclaim(Work work)
    {
        _byToken.Remove(work.Token!);
        if (work is TurnWork) _turnsOut--;
        else _activitiesOut--;
        Changed();
    }

    /// <summary>
    /// A worker stream ended: its unfinished turns go back to the head of their inbox and its
    /// unfinished activities are sent again (durabletask-go GetWorkItems disconnect cleanup).
    /// </summary>
    internal void Release(string stream)
    {
        lock (_gate)
        {
            foreach (var work in _byToken.Values.Where(w => w.Stream == stream).ToList())
            {
                Requeue(work);
            }
        }
    }

    /// <summary>Whether an activity result would be recorded (its token is current).</summary>
    internal bool IsLiveActivityResult(ActivityResponse response)
    {
        lock (_gate) return IsLive(response.CompletionToken, out var work) && work is ActivityWork;
    }

    /// <summary>Drops the result of an activity whose completion was lost and sends it again.</summary>
    internal bool LoseActivityResult(string token)
    {
        lock (_gate)
        {
            if (!IsLive(token, out var work) || work is not ActivityWork) return false;
            Requeue(work);
            return true;
        }
    }

    private void Requeue(Work work)
    {
        Unclaim(work);
        var current = IsCurrent(work, claimed: true);
        (work.Token, work.Stream) = (null, null);
        if (!current) return;
        _redispatched++;
        Changed();
        switch (work)
        {
            case TurnWork turn:
                // The turn's WorkflowStarted is dropped; the next turn gets a new one.
                turn.Instance.Inbox.InsertRange(0, turn.NewEvents.Skip(1));
                turn.Instance.InFlight = null;
                TryDispatchTurn(turn.Instance);
                break;
            case ActivityWork:
                Enqueue(work);
                break;
        }
    }

    /// <summary>Applies a turn's result; false when its token is stale (the result is ignored).</summary>
    internal bool CompleteTurn(WorkflowResponse response)
    {
        lock (_gate)
        {
            if (!IsLive(response.CompletionToken, out var work) || work is not TurnWork turn || turn.Instance.Id != response.InstanceId)
                return false;
            Unclaim(work);
            var instance = turn.Instance;
            instance.InFlight = null;
            instance.History.AddRange(turn.NewEvents);
            // durabletask-go runtimestate: suspension is a flag set and cleared by committed events;
            // events still reach the worker while suspended (the .NET worker only acknowledges a
            // turn whose last event is the suspension).
            foreach (var e in turn.NewEvents)
            {
                if (e.EventTypeCase == HistoryEvent.EventTypeOneofCase.ExecutionSuspended) instance.IsSuspended = true;
                else if (e.EventTypeCase == HistoryEvent.EventTypeOneofCase.ExecutionResumed) instance.IsSuspended = false;
            }
            if (response.CustomStatus is not null) instance.CustomStatus = response.CustomStatus;
            instance.Updated = _time.GetUtcNow();

            foreach (var action in response.Actions)
            {
                if (instance.IsFinished) break;
                Apply(instance, action);
            }
            if (!instance.IsFinished) instance.Status = instance.IsSuspended ? OrchestrationStatus.Suspended : OrchestrationStatus.Running;
            instance.Signal();
            Changed();
            TryDispatchTurn(instance);
            return true;
        }
    }

    /// <summary>Records an activity's result; false for an unknown token or a task already resolved.</summary>
    internal bool CompleteActivity(ActivityResponse response)
    {
        lock (_gate)
        {
            if (!IsLive(response.CompletionToken, out var work) || work is not ActivityWork activity)
                return false;
            Unclaim(work);
            var instance = activity.Instance;
            instance.Activities.Remove(activity.TaskId);
            var e = new HistoryEvent { EventId = -1, Timestamp = Now };
            if (response.FailureDetails is not null)
            {
                e.TaskFailed = new TaskFailedEvent
                {
                    TaskScheduledId = activity.TaskId,
                    FailureDetails = response.FailureDetails,
                    TaskExecutionId = activity.Scheduled.TaskExecutionId,
                };
            }
            else
            {
                e.TaskCompleted = new TaskCompletedEvent
                {
                    TaskScheduledId = activity.TaskId,
                    Result = response.Result,
                    TaskExecutionId = activity.Scheduled.TaskExecutionId,
                };
            }
            instance.Inbox.Add(e);
            TryDispatchTurn(instance);
            return true;
        }
    }

    // ---- internals (under _gate) -------------------------------------------------------------

    /// <summary>Whether a token names work still awaited; a token of work gone stale is forgotten.</summary>
    private bool IsLive(string token, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Work? work)
    {
        if (!_byToken.TryGetValue(token, out work)) return false;
        if (IsCurrent(work, claimed: true)) return true;
        Unclaim(work);
        return false;
    }

    private bool IsCurrent(Work work, bool claimed = false)
    {
        var instance = work.Instance;
        if (claimed ? work.Token is null : work.Token is not null) return false;
        if (!_instances.TryGetValue(instance.Id, out var live) || live != instance || work.Generation != instance.Generation) return false;
        return work switch
        {
            TurnWork => instance.InFlight == work,
            ActivityWork a => !instance.IsFinished && instance.Activities.GetValueOrDefault(a.TaskId) == a,
            _ => false,
        };
    }

    private void TryDispatchTurn(WorkflowInstance instance)
    {
        if (instance.InFlight is not null || instance.Inbox.Count == 0) return;
        if (instance.IsFinished)
        {
            instance.Inbox.Clear();
            return;
        }
        var newEvents = new List<HistoryEvent>(instance.Inbox.Count + 1)
        {
            new() { EventId = -1, Timestamp = Now, WorkflowStarted = new WorkflowStartedEvent() },
        };
        newEvents.AddRange(instance.Inbox);
        instance.Inbox.Clear();
        var turn = new TurnWork(instance, newEvents);
        instance.InFlight = turn;
        Enqueue(turn);
    }

    private void Apply(WorkflowInstance instance, WorkflowAction action)
    {
        switch (action.WorkflowActionTypeCase)
        {
            case WorkflowAction.WorkflowActionTypeOneofCase.ScheduleTask:
                {
                    var schedule = action.ScheduleTask;
                    var scheduled = new TaskScheduledEvent
                    {
                        Name = schedule.Name,
                        Version = schedule.Version,
                        Input = schedule.Input,
                        TaskExecutionId = schedule.TaskExecutionId is { Length: > 0 } id ? id : Guid.NewGuid().ToString(),
                    };
                    instance.History.Add(new HistoryEvent { EventId = action.Id, Timestamp = Now, TaskScheduled = scheduled });
                    var activity = new ActivityWork(instance, action.Id, scheduled);
                    instance.Activities[action.Id] = activity;
                    Enqueue(activity);
                    break;
                }
            case WorkflowAction.WorkflowActionTypeOneofCase.CreateTimer:
                {
                    var create = action.CreateTimer;
                    var created = new TimerCreatedEvent { FireAt = create.FireAt };
                    if (create.HasName) created.Name = create.Name;
                    switch (create.OriginCase)
                    {
                        case CreateTimerAction.OriginOneofCase.CreateTimer: created.CreateTimer = create.CreateTimer; break;
                        case CreateTimerAction.OriginOneofCase.ExternalEvent: created.ExternalEvent = create.ExternalEvent; break;
                        case CreateTimerAction.OriginOneofCase.ActivityRetry: created.ActivityRetry = create.ActivityRetry; break;
                        case CreateTimerAction.OriginOneofCase.ChildWorkflowRetry: created.ChildWorkflowRetry = create.ChildWorkflowRetry; break;
                    }
                    instance.History.Add(new HistoryEvent { EventId = action.Id, Timestamp = Now, TimerCreated = created });
                    // WaitForExternalEvent without a timeout is a timer at 9999-12-31: never armed.
                    if (create.FireAt.ToDateTimeOffset().Year < 9999) Arm(instance, instance.Generation, action.Id, create.FireAt);
                    break;
                }
            case WorkflowAction.WorkflowActionTypeOneofCase.SendEvent:
                {
                    var send = action.SendEvent;
                    instance.History.Add(new HistoryEvent
                    {
                        EventId = action.Id,
                        Timestamp = Now,
                        EventSent = new EventSentEvent { InstanceId = send.Instance.InstanceId, Name = send.Name, Input = send.Data },
                    });
                    if (_instances.TryGetValue(send.Instance.InstanceId, out var target) && !target.IsFinished)
                    {
                        target.Inbox.Add(new HistoryEvent { EventId = -1, Timestamp = Now, EventRaised = new EventRaisedEvent { Name = send.Name, Input = send.Data } });
                        TryDispatchTurn(target);
                    }
                    break;
                }
            case WorkflowAction.WorkflowActionTypeOneofCase.TerminateWorkflow:
                {
                    var terminate = action.TerminateWorkflow;
                    if (_instances.TryGetValue(terminate.InstanceId, out var target) && !target.IsFinished)
                    {
                        target.Inbox.Add(new HistoryEvent
                        {
                            EventId = -1,
                            Timestamp = Now,
                            ExecutionTerminated = new ExecutionTerminatedEvent { Input = terminate.Reason, Recurse = terminate.Recurse },
                        });
                        TryDispatchTurn(target);
                    }
                    break;
                }
            case WorkflowAction.WorkflowActionTypeOneofCase.CompleteWorkflow:
                Complete(instance, action.Id, action.CompleteWorkflow);
                break;
            default:
                // Child and detached workflows are not modelled: fail loudly rather than hang.
                Finish(instance, action.Id, OrchestrationStatus.Failed, result: null, new TaskFailureDetails
                {
                    ErrorType = "NotSupportedException",
                    ErrorMessage = $"the test sidecar's workflow backend does not support {action.WorkflowActionTypeCase}",
                });
                break;
        }
    }

    private void Complete(WorkflowInstance instance, int actionId, CompleteWorkflowAction complete)
    {
        if (complete.WorkflowStatus != OrchestrationStatus.ContinuedAsNew)
        {
            Finish(instance, actionId, complete.WorkflowStatus, complete.Result, complete.FailureDetails);
            return;
        }

        // durabletask-go runtimestate applier: a fresh run whose new events are a new
        // ExecutionStarted (the new input) and the carried-over events; later arrivals follow.
        var arrived = instance.Inbox.ToList();
        var (name, executionId, customStatus) = (instance.Name, instance.ExecutionId, instance.CustomStatus);
        instance.Reset();
        (instance.Name, instance.ExecutionId, instance.CustomStatus, instance.Input) = (name, executionId, customStatus, complete.Result);
        instance.Status = OrchestrationStatus.Running;
        instance.Inbox.Add(new HistoryEvent
        {
            EventId = -1,
            Timestamp = Now,
            ExecutionStarted = new ExecutionStartedEvent
            {
                Name = name,
                Input = complete.Result,
                WorkflowInstance = new ProtoWorkflowInstance { InstanceId = instance.Id, ExecutionId = executionId },
            },
        });
        instance.Inbox.AddRange(complete.CarryoverEvents);
        instance.Inbox.AddRange(arrived);
    }

    private void Finish(WorkflowInstance instance, int actionId, OrchestrationStatus status, string? result, TaskFailureDetails? failure)
    {
        var completed = new ExecutionCompletedEvent { WorkflowStatus = status, Result = result, FailureDetails = failure };
        instance.History.Add(new HistoryEvent { EventId = actionId, Timestamp = Now, ExecutionCompleted = completed });
        instance.Status = status;
        instance.Output = result;
        instance.Failure = failure;
        var completedAt = _time.GetUtcNow();
        instance.Completed = instance.Updated = completedAt;
        instance.Inbox.Clear();
        instance.Activities.Clear();
        foreach (var timer in instance.Timers) timer.Dispose();
        instance.Timers.Clear();
        if (_retention?.DueAfter(status) is { } due) ArmRetention(instance.Id, completedAt + due);
    }

    private void Arm(WorkflowInstance instance, int generation, int timerId, Timestamp fireAt)
    {
        var due = fireAt.ToDateTimeOffset() - _time.GetUtcNow();
        if (due <= TimeSpan.Zero)
        {
            Fire(instance, generation, timerId, fireAt);
            return;
        }
        var holder = new ITimer?[1];
        holder[0] = _time.CreateTimer(_ =>
        {
            lock (_gate)
            {
                if (holder[0] is { } timer)
                {
                    instance.Timers.Remove(timer);
                    timer.Dispose();
                }
                if (generation != instance.Generation) return;
                Fire(instance, generation, timerId, fireAt);
            }
        }, null, due < MaxTimerDue ? due : MaxTimerDue, Timeout.InfiniteTimeSpan);
        instance.Timers.Add(holder[0]!);
    }

    /// <summary>A timer's reminder fired: TimerFired goes to the inbox unless the run it belongs to is over.</summary>
    private void Fire(WorkflowInstance instance, int generation, int timerId, Timestamp fireAt)
    {
        if (!_instances.TryGetValue(instance.Id, out var live) || live != instance || instance.IsFinished) return;
        if (fireAt.ToDateTimeOffset() > _time.GetUtcNow())
        {
            Arm(instance, generation, timerId, fireAt);
            return;
        }
        instance.Inbox.Add(new HistoryEvent { EventId = -1, Timestamp = Now, TimerFired = new TimerFiredEvent { TimerId = timerId, FireAt = fireAt } });
        TryDispatchTurn(instance);
    }

    /// <summary>
    /// orchestrator run.go handleRetention: the instance id's one retention reminder, due at its
    /// completion time + the due time; a later run of the same id that ends replaces it.
    /// </summary>
    private void ArmRetention(string instanceId, DateTimeOffset dueAt)
    {
        CancelRetention(instanceId);
        var reminder = new RetentionReminder(dueAt);
        _retentionReminders[instanceId] = reminder;
        ScheduleRetention(instanceId, reminder);
    }

    private void CancelRetention(string instanceId)
    {
        if (_retentionReminders.Remove(instanceId, out var reminder)) reminder.Timer?.Dispose();
    }

    private void ScheduleRetention(string instanceId, RetentionReminder reminder)
    {
        var wait = reminder.DueAt - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            // Already due (e.g. "0s"): the reminder fires after the turn that ended the instance is saved.
            _ = Task.Run(() => FireRetention(instanceId, reminder));
            return;
        }
        reminder.Timer = _time.CreateTimer(_ => FireRetention(instanceId, reminder), null, wait < MaxTimerDue ? wait : MaxTimerDue, Timeout.InfiniteTimeSpan);
    }

    private void FireRetention(string instanceId, RetentionReminder reminder)
    {
        lock (_gate)
        {
            // A reminder replaced, cancelled by a purge or stopped never fires.
            if (_retentionReminders.GetValueOrDefault(instanceId) != reminder) return;
            reminder.Timer?.Dispose();
            if (reminder.DueAt > _time.GetUtcNow())
            {
                ScheduleRetention(instanceId, reminder);
                return;
            }
            _retentionReminders.Remove(instanceId);
            PurgeForRetention(instanceId);
        }
    }

    /// <summary>
    /// The retention reminder fired (retentioner.go InvokeReminder): the instance is purged if it is
    /// finished; gone or running again under the same id, the reminder is dropped (ErrInstanceNotFound,
    /// ErrNotCompleted), as the new run arms its own when it ends.
    /// </summary>
    private void PurgeForRetention(string instanceId)
    {
        if (_instances.TryGetValue(instanceId, out var instance) && instance.IsFinished) Forget(instance);
    }

    /// <summary>A pending retention reminder; its timer is re-armed while the due time is further than a timer reaches.</summary>
    private sealed class RetentionReminder(DateTimeOffset dueAt)
    {
        public DateTimeOffset DueAt { get; } = dueAt;

        public ITimer? Timer { get; set; }
    }
}
