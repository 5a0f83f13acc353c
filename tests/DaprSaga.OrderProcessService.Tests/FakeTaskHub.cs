using System.Collections.Concurrent;
using Dapr.DurableTask.Protobuf;
using Grpc.Core;
using ProtoWorkflowState = Dapr.DurableTask.Protobuf.WorkflowState;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>
/// The sidecar's workflow backend as the app's gRPC client sees it, in memory: instances that
/// start (AlreadyExists while running; a finished one is reset, as daprd does), states to read,
/// and raised events (dropped for unknown or finished instances). No workflow runs here: a test
/// sets an instance's custom status or finishes it. The worker's stream stays open and quiet.
/// </summary>
public sealed class FakeTaskHub : TaskHubSidecarService.TaskHubSidecarServiceClient
{
    private readonly ConcurrentDictionary<string, ProtoWorkflowState> _instances = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<CreateInstanceRequest> _starts = new();
    private readonly ConcurrentQueue<CreateInstanceRequest> _started = new();
    private int _failingStarts;
    private readonly ConcurrentQueue<RaiseEventRequest> _raised = new();

    /// <summary>Every StartInstance call, in order.</summary>
    public IReadOnlyList<CreateInstanceRequest> Starts => [.. _starts];

    /// <summary>The StartInstance calls that ran an instance: a new one, or a finished one reset.</summary>
    public IReadOnlyList<CreateInstanceRequest> Started => [.. _started];

    /// <summary>How many of the next StartInstance calls fail as an unreachable sidecar would.</summary>
    public int FailingStarts { get => _failingStarts; set => _failingStarts = value; }

    /// <summary>Every event delivered to a running instance.</summary>
    public IReadOnlyList<RaiseEventRequest> Raised => [.. _raised];

    public bool Exists(string instanceId) => _instances.ContainsKey(instanceId);

    /// <summary>What the workflow would have set with SetCustomStatus (JSON), and its runtime status.</summary>
    public void Set(string instanceId, string customStatusJson, OrchestrationStatus status = OrchestrationStatus.Running)
    {
        var state = _instances[instanceId];
        state.CustomStatus = customStatusJson;
        state.WorkflowStatus = status;
    }

    public override AsyncUnaryCall<CreateInstanceResponse> StartInstanceAsync(CreateInstanceRequest request, CallOptions options)
    {
        _starts.Enqueue(request);
        if (Interlocked.Decrement(ref _failingStarts) >= 0)
            return Unary<CreateInstanceResponse>(new RpcException(new Status(StatusCode.Unavailable, "sidecar unreachable")));
        var fresh = new ProtoWorkflowState
        {
            InstanceId = request.InstanceId,
            Name = request.Name,
            Input = request.Input,
            WorkflowStatus = OrchestrationStatus.Running,
            CreatedTimestamp = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
        };
        var running = false;
        _instances.AddOrUpdate(request.InstanceId, fresh, (_, existing) =>
        {
            running = existing.WorkflowStatus is OrchestrationStatus.Running or OrchestrationStatus.Pending;
            return running ? existing : fresh;
        });
        if (!running) _started.Enqueue(request);
        return running
            ? Unary<CreateInstanceResponse>(new RpcException(new Status(StatusCode.AlreadyExists, $"{request.InstanceId} is running")))
            : Unary(new CreateInstanceResponse { InstanceId = request.InstanceId });
    }

    public override AsyncUnaryCall<GetInstanceResponse> GetInstanceAsync(GetInstanceRequest request, CallOptions options) =>
        Unary(_instances.TryGetValue(request.InstanceId, out var state)
            ? new GetInstanceResponse { Exists = true, WorkflowState = state.Clone() }
            : new GetInstanceResponse { Exists = false });

    public override AsyncUnaryCall<RaiseEventResponse> RaiseEventAsync(RaiseEventRequest request, CallOptions options)
    {
        if (_instances.TryGetValue(request.InstanceId, out var state) && state.WorkflowStatus == OrchestrationStatus.Running)
            _raised.Enqueue(request);
        return Unary(new RaiseEventResponse());
    }

    public override AsyncServerStreamingCall<WorkItem> GetWorkItems(GetWorkItemsRequest request, CallOptions options) =>
        new(new NoWorkItems(), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });

    private static AsyncUnaryCall<T> Unary<T>(T response) =>
        new(Task.FromResult(response), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });

    private static AsyncUnaryCall<T> Unary<T>(RpcException error) =>
        new(Task.FromException<T>(error), Task.FromResult(new Metadata()), () => error.Status, () => [], () => { });

    private sealed class NoWorkItems : IAsyncStreamReader<WorkItem>
    {
        public WorkItem Current => throw new InvalidOperationException("no work items");

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return false;
        }
    }
}
