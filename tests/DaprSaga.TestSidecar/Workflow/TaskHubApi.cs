using Dapr.DurableTask.Protobuf;
using DaprSaga.TestSidecar.Grpc;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Hosting;

namespace DaprSaga.TestSidecar.Workflow;

/// <summary>
/// The server side of `TaskHubSidecarService`, the Dapr Workflow protocol daprd serves on its gRPC
/// port (durabletask-go `backend/executor.go` grpcExecutor), over the app's
/// <see cref="WorkflowEngine"/> on the testbed. Bound by hand like <see cref="DaprApi"/>, since
/// Dapr.Workflow ships only the client; unbound RPCs answer Unimplemented.
/// </summary>
[BindServiceMethod(typeof(TaskHubApi), nameof(BindService))]
public class TaskHubApi(Sidecar sidecar, IHostApplicationLifetime lifetime)
{
    private static readonly string ServiceName = TaskHubSidecarService.Descriptor.FullName;

    /// <summary>dapr pkg/messages ErrActorRuntimeNotFound (gRPC Internal).</summary>
    internal const string NoActorStateStore =
        "the state store is not configured to use the actor runtime. Have you set the - name: actorStateStore value: \"true\" in your state store component file?";

    public static void BindService(ServiceBinderBase binder, TaskHubApi? service)
    {
        binder.AddMethod(Unary<Empty, Empty>(nameof(Hello)), (UnaryServerMethod<Empty, Empty>)null!);
        binder.AddMethod(
            new Method<GetWorkItemsRequest, WorkItem>(MethodType.ServerStreaming, ServiceName, nameof(GetWorkItems), For<GetWorkItemsRequest>(), For<WorkItem>()),
            (ServerStreamingServerMethod<GetWorkItemsRequest, WorkItem>)null!);
        binder.AddMethod(Unary<WorkflowResponse, CompleteTaskResponse>(nameof(CompleteOrchestratorTask)), (UnaryServerMethod<WorkflowResponse, CompleteTaskResponse>)null!);
        binder.AddMethod(Unary<WorkflowResponse, CompleteTaskResponse>(nameof(CompleteWorkflowTask)), (UnaryServerMethod<WorkflowResponse, CompleteTaskResponse>)null!);
        binder.AddMethod(Unary<ActivityResponse, CompleteTaskResponse>(nameof(CompleteActivityTask)), (UnaryServerMethod<ActivityResponse, CompleteTaskResponse>)null!);
        binder.AddMethod(Unary<GetInstanceHistoryRequest, GetInstanceHistoryResponse>(nameof(GetInstanceHistory)), (UnaryServerMethod<GetInstanceHistoryRequest, GetInstanceHistoryResponse>)null!);
        binder.AddMethod(Unary<CreateInstanceRequest, CreateInstanceResponse>(nameof(StartInstance)), (UnaryServerMethod<CreateInstanceRequest, CreateInstanceResponse>)null!);
        binder.AddMethod(Unary<GetInstanceRequest, GetInstanceResponse>(nameof(GetInstance)), (UnaryServerMethod<GetInstanceRequest, GetInstanceResponse>)null!);
        binder.AddMethod(Unary<GetInstanceRequest, GetInstanceResponse>(nameof(WaitForInstanceStart)), (UnaryServerMethod<GetInstanceRequest, GetInstanceResponse>)null!);
        binder.AddMethod(Unary<GetInstanceRequest, GetInstanceResponse>(nameof(WaitForInstanceCompletion)), (UnaryServerMethod<GetInstanceRequest, GetInstanceResponse>)null!);
        binder.AddMethod(Unary<RaiseEventRequest, RaiseEventResponse>(nameof(RaiseEvent)), (UnaryServerMethod<RaiseEventRequest, RaiseEventResponse>)null!);
        binder.AddMethod(Unary<TerminateRequest, TerminateResponse>(nameof(TerminateInstance)), (UnaryServerMethod<TerminateRequest, TerminateResponse>)null!);
        binder.AddMethod(Unary<PurgeInstancesRequest, PurgeInstancesResponse>(nameof(PurgeInstances)), (UnaryServerMethod<PurgeInstancesRequest, PurgeInstancesResponse>)null!);
        binder.AddMethod(Unary<SuspendRequest, SuspendResponse>(nameof(SuspendInstance)), (UnaryServerMethod<SuspendRequest, SuspendResponse>)null!);
        binder.AddMethod(Unary<ResumeRequest, ResumeResponse>(nameof(ResumeInstance)), (UnaryServerMethod<ResumeRequest, ResumeResponse>)null!);
    }

    private static Marshaller<T> For<T>() where T : class, IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom);
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        new(MethodType.Unary, ServiceName, name, For<TRequest>(), For<TResponse>());

    private WorkflowEngine Engine => sidecar.Testbed.Workflows(sidecar.AppId);

    // ---- worker ------------------------------------------------------------------------------

    public virtual async Task<Empty> Hello(Empty request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.WorkflowWorker, fault: null);
        return new Empty();
    }

    /// <summary>
    /// The worker's work-item stream. Items it took but did not finish are handed out again when
    /// it ends, whether the worker went away, the sidecar stopped, or a seeded drop ended it.
    /// </summary>
    public virtual async Task GetWorkItems(GetWorkItemsRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.WorkflowWorker, fault: null);
        var engine = Engine;
        var stream = Guid.NewGuid().ToString("N");
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            while (await engine.TakeAsync(stream, ending.Token) is { } next)
            {
                await responseStream.WriteAsync(next.Item, ending.Token);
                var isTurn = next.Work is TurnWork;
                sidecar.Calls.Count(isTurn ? SidecarCallKind.WorkflowTurn : SidecarCallKind.WorkflowActivity);
                if (isTurn && sidecar.Testbed.Faults.Roll(FaultKind.WorkflowStreamDrop)) return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException && ending.IsCancellationRequested)
        {
            // The worker or the sidecar went away mid-write; what it held is released below.
        }
        finally
        {
            engine.Release(stream);
        }
    }

    public virtual async Task<CompleteTaskResponse> CompleteOrchestratorTask(WorkflowResponse request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.WorkflowWorker, fault: null);
        // A stale or unknown token is ignored and answered with success (dapr actors.go callWithBackoff).
        Engine.CompleteTurn(request);
        return new CompleteTaskResponse();
    }

    public virtual Task<CompleteTaskResponse> CompleteWorkflowTask(WorkflowResponse request, ServerCallContext context) =>
        CompleteOrchestratorTask(request, context);

    public virtual async Task<CompleteTaskResponse> CompleteActivityTask(ActivityResponse request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.WorkflowWorker, fault: null);
        // The activity ran, but its result is lost inside the sidecar: the worker sees success and
        // the activity is sent again. Only live results roll, so a seed replays the same losses.
        var engine = Engine;
        if (engine.IsLiveActivityResult(request) && sidecar.Testbed.Faults.Roll(FaultKind.LostActivityResult))
        {
            engine.LoseActivityResult(request.CompletionToken);
            return new CompleteTaskResponse();
        }
        engine.CompleteActivity(request);
        return new CompleteTaskResponse();
    }

    public virtual async Task<GetInstanceHistoryResponse> GetInstanceHistory(GetInstanceHistoryRequest request, ServerCallContext context)
    {
        await BeforeClientCallAsync(context, errorPrefix: "", SidecarCallKind.WorkflowWorker);
        return new GetInstanceHistoryResponse { Events = { Engine.History(request.InstanceId) } };
    }

    // ---- client ------------------------------------------------------------------------------

    public virtual async Task<CreateInstanceResponse> StartInstance(CreateInstanceRequest request, ServerCallContext context)
    {
        await BeforeClientCallAsync(context, errorPrefix: "failed to create workflow instance: ");
        Engine.Start(request);
        // Answers once the first turn ran (durabletask-go StartInstance waits for the start).
        if (request.ScheduledStartTimestamp is null)
            await Engine.WaitAsync(request.InstanceId, withPayloads: false, s => s != OrchestrationStatus.Pending, context.CancellationToken);
        return new CreateInstanceResponse { InstanceId = request.InstanceId };
    }

    public virtual async Task<GetInstanceResponse> GetInstance(GetInstanceRequest request, ServerCallContext context)
    {
        await BeforeClientCallAsync(context, errorPrefix: "");
        return Engine.Get(request.InstanceId, request.GetInputsAndOutputs);
    }

    public virtual Task<GetInstanceResponse> WaitForInstanceStart(GetInstanceRequest request, ServerCallContext context) =>
        WaitAsync(request, s => s != OrchestrationStatus.Pending, context);

    public virtual Task<GetInstanceResponse> WaitForInstanceCompletion(GetInstanceRequest request, ServerCallContext context) =>
        WaitAsync(request, IsTerminal, context);

    private async Task<GetInstanceResponse> WaitAsync(GetInstanceRequest request, Func<OrchestrationStatus, bool> condition, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.WorkflowClient, fault: null);
        // Without an actor state store daprd's watch is routed to an actor type placement never
        // learns, and retries until the caller gives up (dapr actors.go requireActorStateStore).
        if (!sidecar.HasActorStateStore) await Task.Delay(Timeout.Infinite, context.CancellationToken);
        return await Engine.WaitAsync(request.InstanceId, request.GetInputsAndOutputs, condition, context.CancellationToken);
    }

    public virtual async Task<RaiseEventResponse> RaiseEvent(RaiseEventRequest request, ServerCallContext context)
    {
        await BeforeClientCallAsync(context, errorPrefix: "");
        Engine.Raise(request);
        return new RaiseEventResponse();
    }

    public virtual async Task<TerminateResponse> TerminateInstance(TerminateRequest request, ServerCallContext context)
    {
        await BeforeClientCallAsync(context, errorPrefix: "failed to submit termination request: ");
        Engine.Terminate(request);
        // The worker answers the termination with CompleteWorkflow(Terminated); daprd waits for it.
        await Engine.WaitAsync(request.InstanceId, withPayloads: false, IsTerminal, context.CancellationToken);
        return new TerminateResponse();
    }

    public virtual async Task<PurgeInstancesResponse> PurgeInstances(PurgeInstancesRequest request, ServerCallContext context)
    {
        await BeforeClientCallAsync(context, errorPrefix: "failed to purge workflow state: ");
        if (request.RequestCase != PurgeInstancesRequest.RequestOneofCase.InstanceId)
            throw DaprApi.Error(StatusCode.Unknown, "multi-instance purge is not implemented");
        return new PurgeInstancesResponse { DeletedInstanceCount = Engine.Purge(request.InstanceId) };
    }

    /// <summary>Answers once the instance is suspended or finished (durabletask-go SuspendInstance).</summary>
    public virtual async Task<SuspendResponse> SuspendInstance(SuspendRequest request, ServerCallContext context)
    {
        await BeforeClientCallAsync(context, errorPrefix: "");
        Engine.Suspend(request);
        await Engine.WaitAsync(request.InstanceId, withPayloads: false, s => s == OrchestrationStatus.Suspended || IsTerminal(s), context.CancellationToken);
        return new SuspendResponse();
    }

    /// <summary>Answers once the instance runs again or finished (durabletask-go ResumeInstance).</summary>
    public virtual async Task<ResumeResponse> ResumeInstance(ResumeRequest request, ServerCallContext context)
    {
        await BeforeClientCallAsync(context, errorPrefix: "");
        Engine.Resume(request);
        await Engine.WaitAsync(request.InstanceId, withPayloads: false, s => s == OrchestrationStatus.Running || IsTerminal(s), context.CancellationToken);
        return new ResumeResponse();
    }

    private static bool IsTerminal(OrchestrationStatus status) => status is OrchestrationStatus.Completed
        or OrchestrationStatus.Failed or OrchestrationStatus.Terminated or OrchestrationStatus.Canceled;

    /// <summary>
    /// Token check and counting, then daprd's refusal when no actor state store is loaded: the
    /// APIError (Internal) as is, or wrapped by the executor with its prefix (grpc-go keeps the
    /// wrapped status's code and uses the whole text).
    /// </summary>
    private async Task BeforeClientCallAsync(ServerCallContext context, string errorPrefix, SidecarCallKind kind = SidecarCallKind.WorkflowClient)
    {
        await sidecar.BeforeApiCallAsync(context, kind, fault: null);
        if (!sidecar.HasActorStateStore)
        {
            throw DaprApi.Error(StatusCode.Internal, errorPrefix.Length == 0
                ? NoActorStateStore
                : $"{errorPrefix}api error: code = Internal desc = {NoActorStateStore}");
        }
    }
}
