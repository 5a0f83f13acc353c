using Dapr.Client;
using Dapr.Workflow;
using DaprSaga.OrderProcessService.Saga;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderProcessService.Workflows;

/// <summary>Stored before the instance is scheduled: the order id is used, and by this engine.</summary>
public sealed record WorkflowStart(SagaRequest Request, DateTimeOffset CreatedAt);

/// <summary>
/// Order sagas on Dapr Workflow, instance id = order id; never scheduled twice (daprd would reset a finished one).
/// daprd purges a finished instance after the Configuration's stateRetentionPolicy; one older than the
/// retention window is then gone, and never scheduled again.
/// </summary>
public sealed class WorkflowProcesses(
    DaprClient dapr, DaprWorkflowClient workflows, ServiceIdentity service, TimeProvider time, IOptions<RetentionOptions> retention)
{

    public static string KeyOf(string orderId) => $"workflow-{orderId}";

    public Task<WorkflowStart?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<WorkflowStart?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<WorkflowStart>> FindManyAsync(IEnumerable<string> orderIds, CancellationToken cancellationToken) =>
        [.. (await dapr.ReadManyAsync<WorkflowStart>(service.StateStore, orderIds.Select(KeyOf), cancellationToken)).Values.Select(s => s.Value)];

    public async Task<WorkflowStart> StartAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        var start = new WorkflowStart(request, time.GetUtcNow());
        await dapr.SaveStateAsync(service.StateStore, KeyOf(request.OrderId), start, StateStoreExtensions.FirstWrite, cancellationToken: cancellationToken);
        await ScheduleAsync(start, cancellationToken);
        return start;
    }

    // A retry (same Idempotency-Key) finishes what a crashed or racing first request began.
    public async Task<WorkflowStart> EnsureStartedAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        var stored = await dapr.UpdateAsync<WorkflowStart>(
            service.StateStore, KeyOf(request.OrderId), s => s ?? new WorkflowStart(request, time.GetUtcNow()), cancellationToken);
        if (stored.Changed) await ScheduleAsync(stored.Value!, cancellationToken);
        else await EnsureScheduledAsync(stored.Value!, cancellationToken);
        return stored.Value!;
    }

    public async Task<bool> EnsureScheduledAsync(WorkflowStart start, CancellationToken cancellationToken)
    {
        if (IsPastRetention(start)) return false;
        if ((await workflows.GetWorkflowStateAsync(start.Request.OrderId, getInputsAndOutputs: false, cancellationToken)).Exists) return false;
        await ScheduleAsync(start, cancellationToken);
        return true;
    }

    private async Task ScheduleAsync(WorkflowStart start, CancellationToken cancellationToken)
    {
        try
        {
            await workflows.ScheduleNewWorkflowAsync(
                nameof(OrderSagaWorkflow), start.Request.OrderId, new OrderSagaInput(start.Request, start.CreatedAt), startTime: null, cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            // A racing retry scheduled it first: one instance, as wanted.
        }
    }

    // Refused for an unknown instance, so the delivery is retried (docs/dapr.md); the workflow reads only the first.
    public Task RaiseAsync(string orderId, CustomerDecision decision, CancellationToken cancellationToken) =>
        workflows.RaiseEventAsync(orderId, OrderSagaEvents.CustomerDecision, decision, cancellationToken);

    /// <summary>Null once the instance was purged after the retention window.</summary>
    public async Task<OrderProcessView?> ViewAsync(WorkflowStart start, CancellationToken cancellationToken)
    {
        var state = await workflows.GetWorkflowStateAsync(start.Request.OrderId, getInputsAndOutputs: true, cancellationToken);
        if (!state.Exists && IsPastRetention(start)) return null;
        var status = state.Exists ? state.ReadCustomStatusAs<OrderSagaStatus>() ?? state.ReadOutputAs<OrderSagaStatus>() : null;
        return View(start, status);
    }

    private bool IsPastRetention(WorkflowStart start) => time.GetUtcNow() - start.CreatedAt >= retention.Value.Window;

    public static OrderProcessView View(WorkflowStart start, OrderSagaStatus? status)
    {
        status ??= OrderSagaStatus.Of(SagaProgress.Start(start.CreatedAt), start.CreatedAt);
        return new OrderProcessView(
            start.Request.OrderId, SagaEngine.Workflow, status.Status, status.CurrentStep,
            status.Steps.Select(s => s.ToView()).ToList(), status.CancellationReason, start.CreatedAt, status.UpdatedAt);
    }
}
