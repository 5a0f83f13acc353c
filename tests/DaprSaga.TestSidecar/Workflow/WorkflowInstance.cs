using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DaprSaga.TestSidecar.Workflow;

/// <summary>
/// One workflow instance as daprd's workflow actor keeps it: committed history, the inbox of events
/// not yet handed to a turn, the turn in flight, the activities scheduled but not resolved, and the
/// metadata GetInstance reports. Guarded by the engine's lock.
/// </summary>
internal sealed class WorkflowInstance(string id)
{
    public string Id { get; } = id;

    public string ExecutionId { get; set; } = "";

    /// <summary>Bumped on reset and ContinueAsNew, so timers and work of an older run are dropped.</summary>
    public int Generation { get; set; }

    public string Name { get; set; } = "";

    public OrchestrationStatus Status { get; set; } = OrchestrationStatus.Pending;

    public string? Input { get; set; }

    public string? Output { get; set; }

    public string? CustomStatus { get; set; }

    public TaskFailureDetails? Failure { get; set; }

    public DateTimeOffset Created { get; set; }

    public DateTimeOffset Updated { get; set; }

    public DateTimeOffset? Completed { get; set; }

    public List<HistoryEvent> History { get; } = [];

    public List<HistoryEvent> Inbox { get; } = [];

    public TurnWork? InFlight { get; set; }

    /// <summary>Scheduled activities whose result has not arrived, by task id.</summary>
    public Dictionary<int, ActivityWork> Activities { get; } = [];

    public List<ITimer> Timers { get; } = [];

    public bool IsSuspended { get; set; }

    public bool IsFinished => Status is OrchestrationStatus.Completed or OrchestrationStatus.Failed
        or OrchestrationStatus.Terminated or OrchestrationStatus.Canceled;

    /// <summary>Completed and replaced on every change, so waiters re-check their condition.</summary>
    public TaskCompletionSource Changed { get; private set; } = NewSignal();

    public void Signal()
    {
        var changed = Changed;
        Changed = NewSignal();
        changed.TrySetResult();
    }

    /// <summary>Forgets the previous run, as daprd does when a finished id is started again or purged.</summary>
    public void Reset()
    {
        Generation++;
        History.Clear();
        Inbox.Clear();
        InFlight = null;
        Activities.Clear();
        foreach (var timer in Timers) timer.Dispose();
        Timers.Clear();
        (Output, CustomStatus, Failure, Completed, IsSuspended) = (null, null, null, null, false);
        Status = OrchestrationStatus.Pending;
    }

    public WorkflowState ToState(bool withPayloads)
    {
        var state = new WorkflowState
        {
            InstanceId = Id,
            Name = Name,
            WorkflowStatus = Status,
            CreatedTimestamp = Timestamp.FromDateTimeOffset(Created),
            LastUpdatedTimestamp = Timestamp.FromDateTimeOffset(Updated),
            ExecutionId = ExecutionId,
        };
        if (Completed is { } completed) state.CompletedTimestamp = Timestamp.FromDateTimeOffset(completed);
        if (withPayloads)
        {
            if (Input is not null) state.Input = Input;
            if (Output is not null) state.Output = Output;
            if (CustomStatus is not null) state.CustomStatus = CustomStatus;
            if (Failure is not null) state.FailureDetails = Failure;
        }
        return state;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A work item handed (or to be handed) to a worker stream; a fresh token per dispatch.</summary>
internal abstract class Work(WorkflowInstance instance)
{
    public WorkflowInstance Instance { get; } = instance;

    public int Generation { get; } = instance.Generation;

    /// <summary>Set when a stream takes the item; null while it waits for one.</summary>
    public string? Token { get; set; }

    public string? Stream { get; set; }

    public abstract WorkItem ToWorkItem();
}

/// <summary>One turn: the events it hands the worker as new, and the request carrying the full history.</summary>
internal sealed class TurnWork(WorkflowInstance instance, List<HistoryEvent> newEvents) : Work(instance)
{
    public List<HistoryEvent> NewEvents { get; } = newEvents;

    private readonly HistoryEvent[] _past = [.. instance.History];

    public override WorkItem ToWorkItem()
    {
        var request = new WorkflowRequest { InstanceId = Instance.Id, ExecutionId = Instance.ExecutionId };
        request.PastEvents.Add(_past);
        request.NewEvents.Add(NewEvents);
        return new WorkItem { WorkflowRequest = request, CompletionToken = Token! };
    }
}

/// <summary>One scheduled activity; sent again (with a new token) until its result arrives.</summary>
internal sealed class ActivityWork(WorkflowInstance instance, int taskId, TaskScheduledEvent scheduled) : Work(instance)
{
    public int TaskId { get; } = taskId;

    public TaskScheduledEvent Scheduled { get; } = scheduled;

    public override WorkItem ToWorkItem() => new()
    {
        ActivityRequest = new ActivityRequest
        {
            Name = Scheduled.Name,
            Version = Scheduled.Version,
            Input = Scheduled.Input,
            TaskId = TaskId,
            TaskExecutionId = Scheduled.TaskExecutionId,
            ParentTraceContext = Scheduled.ParentTraceContext,
            WorkflowInstance = new Dapr.DurableTask.Protobuf.WorkflowInstance { InstanceId = Instance.Id, ExecutionId = Instance.ExecutionId },
        },
        CompletionToken = Token!,
    };
}
