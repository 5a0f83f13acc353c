using Dapr.Workflow;
using DaprSaga.OrderProcessService.Saga;
using DaprSaga.OrderProcessService.Workflows;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>
/// A workflow context that runs one generation of a workflow straight through, as the SDK would
/// once every task had its outcome: activities answer from <see cref="Participants"/> (an
/// exception is a failed attempt, retried per the task's retry policy), timers fire at once and
/// move the clock, and a wait takes a buffered event or times out. It records what the workflow
/// asked for, so a test sees the history one generation would write.
/// </summary>
public sealed class FakeWorkflowContext(string instanceId, DateTime startedAt) : WorkflowContext
{
    private readonly Queue<(string Name, object Payload)> _inbox = new();
    private DateTime _now = startedAt;

    /// <summary>Answers an activity call; throwing stands for transient trouble.</summary>
    public Func<SagaStepCall, StepResult> Participants { get; set; } = _ => StepResult.Done;

    /// <summary>Called as each wait for an event begins (with how many waits came before), e.g. to raise the event then.</summary>
    public Action<int>? OnWait { get; set; }

    public List<SagaStepCall> Attempts { get; } = [];
    public List<TimeSpan> Timers { get; } = [];
    public int Waits { get; private set; }
    public List<object?> Statuses { get; } = [];
    public object? ContinuedAsNewWith { get; private set; }
    public bool PreservedUnprocessedEvents { get; private set; }

    /// <summary>Actions this generation wrote to its history: activity attempts, timers (retry delays and wait timeouts included), waits.</summary>
    public int HistoryActions => Attempts.Count + Timers.Count + Waits;

    public IEnumerable<SagaStepCall> Calls(string step, bool compensate = false) => Attempts.Where(a => a.Step == step && a.Compensate == compensate);

    /// <summary>An event raised to the instance; buffered until a wait takes it, as the SDK does.</summary>
    public void Raise(string name, object payload) => _inbox.Enqueue((name, payload));

    public OrderSagaStatus LastStatus => (OrderSagaStatus)Statuses[^1]!;

    public override string Name => nameof(OrderSagaWorkflow);
    public override string InstanceId => instanceId;
    public override DateTime CurrentUtcDateTime => _now;
    public override bool IsReplaying => false;

    public override bool IsPatched(string patchName) => true;

    public override Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        Assert.Equal(nameof(SagaStepActivity), name);
        var call = Assert.IsType<SagaStepCall>(input);
        var attempts = options?.RetryPolicy?.MaxNumberOfAttempts ?? 1;
        for (var attempt = 1; ; attempt++)
        {
            Attempts.Add(call);
            try
            {
                return Task.FromResult((T)(object)Participants(call));
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                if (attempt >= attempts)
                    return Task.FromException<T>(new WorkflowTaskFailedException($"{name} failed", new WorkflowTaskFailureDetails(e.GetType().FullName!, e.Message, null)));
                Fire(RetryDelay(options!.RetryPolicy!, attempt));
            }
        }
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        Fire(fireAt - _now);
        return Task.CompletedTask;
    }

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, TimeSpan timeout)
    {
        OnWait?.Invoke(Waits);
        Waits++;
        Timers.Add(timeout); // emitted even when the event is already buffered
        // Names match case-insensitively; events nobody waits for stay buffered.
        if (_inbox.Count > 0 && string.Equals(_inbox.Peek().Name, eventName, StringComparison.OrdinalIgnoreCase))
            return Task.FromResult((T)_inbox.Dequeue().Payload);
        _now += timeout;
        return Task.FromException<T>(new TaskCanceledException("timed out"));
    }

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the saga only waits with a timeout");

    public override void SetCustomStatus(object? customStatus) => Statuses.Add(customStatus);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true)
    {
        ContinuedAsNewWith = newInput;
        PreservedUnprocessedEvents = preserveUnprocessedEvents;
    }

    /// <summary>The next generation, as ContinueAsNew starts it: the same instance, the preserved events, fresh history.</summary>
    public FakeWorkflowContext NextGeneration()
    {
        var next = new FakeWorkflowContext(instanceId, _now) { Participants = Participants, OnWait = OnWait };
        foreach (var e in _inbox) next._inbox.Enqueue(e);
        return next;
    }

    private static TimeSpan RetryDelay(WorkflowRetryPolicy policy, int attempt)
    {
        var delay = policy.FirstRetryInterval * Math.Pow(policy.BackoffCoefficient, attempt - 1);
        return policy.MaxRetryInterval is { } max && delay > max ? max : delay;
    }

    private void Fire(TimeSpan delay)
    {
        Timers.Add(delay);
        _now += delay;
    }

    public override void SendEvent(string instanceId, string eventName, object payload) => throw new NotSupportedException();
    public override Task<TResult> CallChildWorkflowAsync<TResult>(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) => throw new NotSupportedException();
    public override ILogger CreateReplaySafeLogger(string categoryName) => NullLogger.Instance;
    public override ILogger CreateReplaySafeLogger(Type type) => NullLogger.Instance;
    public override ILogger CreateReplaySafeLogger<T>() => NullLogger<T>.Instance;
    public override Guid NewGuid() => throw new NotSupportedException("the saga needs no new ids");
    public override PropagatedHistory? GetPropagatedHistory() => null;
}
