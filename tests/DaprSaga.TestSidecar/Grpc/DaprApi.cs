using Dapr.Client.Autogen.Grpc.v1;
using DaprSaga.TestSidecar.PubSub;
using DaprSaga.TestSidecar.State;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using AutogenDapr = Dapr.Client.Autogen.Grpc.v1.Dapr;

namespace DaprSaga.TestSidecar.Grpc;

/// <summary>
/// The server side of `dapr.proto.runtime.v1.Dapr` for the calls DaprClient makes over gRPC.
/// Dapr.Protos ships only client stubs for this service, so the methods are bound here by name
/// (Grpc.AspNetCore finds the public method named after each RPC). Unbound RPCs answer
/// Unimplemented, as a sidecar without that building block would. The handlers are public
/// virtual because Grpc.AspNetCore's binder only finds overridable methods by name.
/// Semantics and messages follow dapr/dapr `pkg/api/grpc/grpc.go` (PublishEvent, GetState,
/// GetBulkState, SaveState, DeleteState, ExecuteStateTransaction) and `pkg/api/errors/*.go`.
/// </summary>
[BindServiceMethod(typeof(DaprApi), nameof(BindService))]
public class DaprApi(Sidecar sidecar)
{
    private static readonly string ServiceName = AutogenDapr.Descriptor.FullName;

    public static void BindService(ServiceBinderBase binder, DaprApi? service)
    {
        binder.AddMethod(Unary<PublishEventRequest, Empty>(nameof(PublishEvent)), (UnaryServerMethod<PublishEventRequest, Empty>)null!);
        binder.AddMethod(Unary<GetStateRequest, GetStateResponse>(nameof(GetState)), (UnaryServerMethod<GetStateRequest, GetStateResponse>)null!);
        binder.AddMethod(Unary<GetBulkStateRequest, GetBulkStateResponse>(nameof(GetBulkState)), (UnaryServerMethod<GetBulkStateRequest, GetBulkStateResponse>)null!);
        binder.AddMethod(Unary<SaveStateRequest, Empty>(nameof(SaveState)), (UnaryServerMethod<SaveStateRequest, Empty>)null!);
        binder.AddMethod(Unary<DeleteStateRequest, Empty>(nameof(DeleteState)), (UnaryServerMethod<DeleteStateRequest, Empty>)null!);
        binder.AddMethod(Unary<ExecuteStateTransactionRequest, Empty>(nameof(ExecuteStateTransaction)), (UnaryServerMethod<ExecuteStateTransactionRequest, Empty>)null!);
        binder.AddMethod(Unary<GetMetadataRequest, GetMetadataResponse>(nameof(GetMetadata)), (UnaryServerMethod<GetMetadataRequest, GetMetadataResponse>)null!);
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        static Marshaller<T> For<T>() where T : class, IMessage<T>, new()
        {
            var parser = new MessageParser<T>(() => new T());
            return Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom);
        }
        return new Method<TRequest, TResponse>(MethodType.Unary, ServiceName, name, For<TRequest>(), For<TResponse>());
    }

    public virtual async Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.Publish, FaultKind.PublishError);
        // validateAndGetPubsubAndTopic: name empty, pubsub not found, topic empty, in that order.
        if (request.PubsubName.Length == 0)
            throw Error(StatusCode.InvalidArgument, "pubsub name is empty");
        var pubsub = sidecar.PubSub(request.PubsubName)
            ?? throw Error(StatusCode.InvalidArgument, $"pubsub {request.PubsubName} is not found");
        if (request.Topic.Length == 0)
            throw Error(StatusCode.InvalidArgument, $"topic is empty in pubsub {request.PubsubName}");
        if (!pubsub.MayPublish(sidecar.AppId, request.Topic))
            throw Error(StatusCode.PermissionDenied, $"topic {request.Topic} is not allowed for app id {sidecar.AppId}");

        var envelope = CloudEvent.FromPublish(
            sidecar.AppId, request.PubsubName, request.Topic, request.Data.ToByteArray(), request.DataContentType,
            request.Metadata, context.RequestHeaders.GetValue("traceparent"), sidecar.Testbed.TimeProvider);
        pubsub.Publish(envelope);
        return new Empty();
    }

    public virtual async Task<GetStateResponse> GetState(GetStateRequest request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.StateRead, FaultKind.StateError);
        sidecar.Calls.CountKey(SidecarCallKind.StateRead, request.Key);
        var store = Store(request.StoreName);
        var (data, etag) = store.Get(Key(request.StoreName, request.Key));
        return new GetStateResponse { Data = data is null ? ByteString.Empty : ByteString.CopyFrom(data), Etag = etag ?? "" };
    }

    public virtual async Task<GetBulkStateResponse> GetBulkState(GetBulkStateRequest request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.StateRead, FaultKind.StateError);
        var store = Store(request.StoreName);
        foreach (var key in request.Keys) sidecar.Calls.CountKey(SidecarCallKind.StateRead, key);
        var keys = request.Keys.Select(k => Key(request.StoreName, k)).ToList();
        var response = new GetBulkStateResponse();
        foreach (var (key, original) in keys.Zip(request.Keys))
        {
            // Missing keys come back as items with no data and no ETag (state.DefaultBulkStore).
            var (data, etag) = store.Get(key);
            response.Items.Add(new BulkStateItem
            {
                Key = original,
                Data = data is null ? ByteString.Empty : ByteString.CopyFrom(data),
                Etag = etag ?? "",
            });
        }
        return response;
    }

    public virtual async Task<Empty> SaveState(SaveStateRequest request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.StateWrite, FaultKind.StateError);
        var store = Store(request.StoreName);
        var writes = new List<StateWrite>();
        foreach (var item in request.States)
        {
            if (item.Key.Length == 0) throw Error(StatusCode.InvalidArgument, "state key cannot be empty");
            sidecar.Calls.CountKey(SidecarCallKind.StateWrite, item.Key);
            writes.Add(ToWrite(request.StoreName, item));
        }
        // SaveState with several items runs them independently (state.DefaultBulkStore.BulkSet).
        Exception? first = null;
        foreach (var write in writes)
        {
            try { store.Set(write); }
            catch (Exception e) when (e is ETagMismatchException or ETagInvalidException or StateStoreException) { first ??= e; }
        }
        if (first is not null)
            throw Error(CodeOf(first), $"failed saving state in state store {request.StoreName}: {first.Message}");
        return new Empty();
    }

    public virtual async Task<Empty> DeleteState(DeleteStateRequest request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.StateWrite, FaultKind.StateError);
        var store = Store(request.StoreName);
        var key = Key(request.StoreName, request.Key);
        try
        {
            store.Delete(new StateWrite(key, null, request.Etag?.Value, FirstWrite: false));
        }
        catch (ETagMismatchException e)
        {
            throw Error(StatusCode.Aborted, $"failed deleting state with key {request.Key}: {e.Message}");
        }
        return new Empty();
    }

    public virtual async Task<Empty> ExecuteStateTransaction(ExecuteStateTransactionRequest request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.StateTransaction, FaultKind.StateError);
        var store = Store(request.StoreName);
        var operations = new List<StateOperation>();
        foreach (var op in request.Operations)
        {
            var write = ToWrite(request.StoreName, op.Request);
            operations.Add(op.OperationType switch
            {
                "upsert" => new StateOperation(IsDelete: false, write),
                "delete" => new StateOperation(IsDelete: true, write),
                _ => throw Error(StatusCode.Unimplemented, $"operation type {op.OperationType} not supported"),
            });
        }
        try
        {
            store.Multi(operations);
        }
        catch (Exception e) when (e is ETagMismatchException or ETagInvalidException or StateStoreException)
        {
            // Every transaction failure, ETag conflicts included, is Internal (not Aborted).
            throw Error(StatusCode.Internal, $"error while executing state transaction: {e.Message}");
        }
        return new Empty();
    }

    public virtual async Task<GetMetadataResponse> GetMetadata(GetMetadataRequest request, ServerCallContext context)
    {
        await sidecar.BeforeApiCallAsync(context, SidecarCallKind.Metadata, fault: null);
        var response = new GetMetadataResponse { Id = sidecar.AppId, RuntimeVersion = "1.19.0-testsidecar" };
        foreach (var (name, type, capabilities) in sidecar.Components())
            response.RegisteredComponents.Add(new RegisteredComponents { Name = name, Type = type, Version = "v1", Capabilities = { capabilities } });
        foreach (var s in sidecar.Subscriptions)
        {
            // The route is daprd's one default rule, with no match.
            var rules = new PubsubSubscriptionRules { Rules = { new PubsubSubscriptionRule { Path = s.Path } } };
            response.Subscriptions.Add(new PubsubSubscription
            {
                PubsubName = s.PubsubName,
                Topic = s.Topic,
                DeadLetterTopic = s.DeadLetterTopic ?? "",
                Rules = rules,
                Type = PubsubSubscriptionType.Programmatic,
            });
        }
        return response;
    }

    private StateWrite ToWrite(string storeName, StateItem item) => new(
        Key(storeName, item.Key),
        item.Value.ToByteArray(),
        item.Etag?.Value,
        FirstWrite: item.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite,
        LastWrite: item.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyLastWrite,
        TtlInSeconds: item.Metadata.GetValueOrDefault("ttlInSeconds"));

    private RedisStateStore Store(string name)
    {
        if (sidecar.StateStoreCount == 0)
            throw Error(StatusCode.FailedPrecondition, $"state store {name} is not configured");
        return sidecar.StateStore(name) ?? throw Error(StatusCode.InvalidArgument, $"state store {name} is not found");
    }

    /// <summary>GetModifiedStateKey with the default keyPrefix strategy "appid".</summary>
    private string Key(string storeName, string key)
    {
        if (key.Contains("||", StringComparison.Ordinal))
            throw Error(StatusCode.InvalidArgument, $"input key/keyPrefix '{key}' can't contain '||'");
        return $"{sidecar.AppId}||{key}";
    }

    private static StatusCode CodeOf(Exception e) => e switch
    {
        ETagMismatchException => StatusCode.Aborted,
        ETagInvalidException => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };

    internal static RpcException Error(StatusCode code, string message) => new(new Status(code, message));
}
