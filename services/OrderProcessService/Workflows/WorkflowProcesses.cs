using Dapr.Client;
using Dapr.Workflow;
using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Processes;
using DaprSaga.OrderProcessService.Saga;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.State;
using Grpc.Core;

namespace DaprSaga.OrderProcessService.Workflows;

/// <summary>
/// The record of an order given to the workflow engine, stored before its instance is scheduled:
/// it says which engine an order id belongs to, and that the id is used.
/// </summary>
public sealed record WorkflowStart(SagaRequest Request, DateTimeOffset CreatedAt);

/// <summary>
/// Order sagas on Dapr Workflow, instance id = order id: starts them (never one twice: daprd
/// would reset a finished instance if scheduled again), reads them as the shared view, and hands
/// them the customer's decisions.
/// </summary>
public sealed class WorkflowProcesses(DaprClient dapr, DaprWorkflowClient workflows, ServiceIdentity service, TimeProvider time)
{
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    public static string KeyOf(string orderId) => $"workflow-{orderId}";

    public Task<WorkflowStart?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<WorkflowStart?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    public async Task<WorkflowStart> StartAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        var start = new WorkflowStart(request, time.GetUtcNow());
        await dapr.SaveStateAsync(service.StateStore, KeyOf(request.OrderId), start, FirstWrite, cancellationToken: cancellationToken);
        await ScheduleAsync(start, cancellationToken);
        return start;
    }

    /// <summary>A retry (same Idempotency-Key): finishes what a crashed or racing first request began.</summary>
    public async Task<WorkflowStart> EnsureStartedAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        var stored = await dapr.UpdateAsync<WorkflowStart>(
            service.StateStore, KeyOf(request.OrderId), s => s ?? new WorkflowStart(request, time.GetUtcNow()), cancellationToken);
        if (stored.Changed) await ScheduleAsync(stored.Value!, cancellationToken);
        else await EnsureScheduledAsync(stored.Value!, cancellationToken);
        return stored.Value!;
    }

    /// <summary>Schedules the instance only if daprd has never seen it; true if it did.</summary>
    public async Task<bool> EnsureScheduledAsync(WorkflowStart start, CancellationToken cancellationToken)
    {
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

    /// <summary>
    /// daprd drops it for a finished instance and refuses an unknown one, so the delivery is retried
    /// (docs/dapr.md, Dapr Workflow); the workflow reads only the first, so a repeat is harmless.
    /// </summary>
    public Task RaiseAsync(string orderId, CustomerDecision decision, CancellationToken cancellationToken) =>
        workflows.RaiseEventAsync(orderId, OrderSagaEvents.CustomerDecision, decision, cancellationToken);

    /// <summary>The saga as GET shows it: the workflow's custom status, or just "started" before its first turn.</summary>
    public async Task<OrderProcessView> ViewAsync(WorkflowStart start, CancellationToken cancellationToken)
    {
        var state = await workflows.GetWorkflowStateAsync(start.Request.OrderId, getInputsAndOutputs: true, cancellationToken);
        var status = state.Exists ? state.ReadCustomStatusAs<OrderSagaStatus>() ?? state.ReadOutputAs<OrderSagaStatus>() : null;
        return View(start, status);
    }

    public static OrderProcessView View(WorkflowStart start, OrderSagaStatus? status)
    {
        status ??= OrderSagaStatus.Of(SagaProgress.Start(start.CreatedAt), start.CreatedAt);
        return new OrderProcessView(
            start.Request.OrderId, SagaEngine.Workflow, status.Status, status.CurrentStep,
            status.Steps.Select(OrderProcessViews.StepOf).ToList(), status.CancellationReason, start.CreatedAt, status.UpdatedAt);
    }
}
