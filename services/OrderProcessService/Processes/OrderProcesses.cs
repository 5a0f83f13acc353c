using Dapr;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Saga;
using DaprSaga.OrderProcessService.Workflows;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// The orchestrated sagas of both engines behind one contract: start (honouring an
/// Idempotency-Key), read, list, and pass the customer's decisions on. The engine of an order
/// is known by its record: `process-{id}` for the runner, `workflow-{id}` for Dapr Workflow.
/// </summary>
public sealed class OrderProcesses(
    DaprClient dapr, ServiceIdentity service, ProcessIndexes indexes, ProcessRunner runner, ProcessWorker worker,
    WorkflowProcesses workflows, TimeProvider time)
{
    /// <summary>Starts the saga, or, for a key used before, returns the one it started; null when the key was used for another request.</summary>
    public async Task<OrderProcessView?> StartAsync(SagaRequest request, string? idempotencyKey, string fingerprint, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null) return await StartNewAsync(request, cancellationToken);
        // First write wins, so racing retries agree on one order id.
        var use = await dapr.ClaimIdempotencyKeyAsync(
            service.StateStore, idempotencyKey, fingerprint, request.OrderId, time.GetUtcNow(), cancellationToken);
        if (use.ReusedForAnotherRequest) return null;
        return use.Claimed
            ? await StartNewAsync(request, cancellationToken)
            : await StartAgainAsync(request with { OrderId = use.ResourceId }, cancellationToken);
    }

    // Indexed first, so neither the listing nor the recovery tick can miss the instance (for a
    // workflow, the tick schedules one whose start a crash cut short).
    private async Task<OrderProcessView> StartNewAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        await indexes.AddAsync(request.OrderId, cancellationToken);
        try
        {
            if (request.Engine == SagaEngine.Workflow)
                return WorkflowProcesses.View(await workflows.StartAsync(request, cancellationToken), null);
            // Stored leased to the worker's runner, so no other runner drives it before its lease ends.
            var created = await runner.CreateAsync(request, cancellationToken);
            worker.Start(created);
            return OrderProcessViews.Of(created);
        }
        catch (DaprException)
        {
            // The create is a first write: a concurrent retry with the same Idempotency-Key may have
            // stored the record first (a conflict), or the write failed; either way, go on from what is stored.
            return await StartAgainAsync(request, cancellationToken);
        }
    }

    /// <summary>A retry: whatever the first request stored decides the engine; what it left undone is done now.</summary>
    private async Task<OrderProcessView> StartAgainAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        if (await dapr.GetStateAsync<OrderProcess?>(service.StateStore, ProcessRunner.KeyOf(request.OrderId), cancellationToken: cancellationToken) is { } process)
            return OrderProcessViews.Of(process);
        if (await workflows.FindAsync(request.OrderId, cancellationToken) is { } found)
            return await workflows.ViewAsync(await workflows.EnsureStartedAsync(found.Request, cancellationToken), cancellationToken);
        if (request.Engine == SagaEngine.Workflow)
        {
            await indexes.AddAsync(request.OrderId, cancellationToken);
            return WorkflowProcesses.View(await workflows.EnsureStartedAsync(request, cancellationToken), null);
        }
        await indexes.AddAsync(request.OrderId, cancellationToken);
        var created = await runner.CreateOnceAsync(request, cancellationToken);
        if (created.Changed) worker.Start(created.Value!);
        return OrderProcessViews.Of(created.Value!);
    }

    public async Task<OrderProcessView?> GetAsync(string orderId, CancellationToken cancellationToken)
    {
        if (await dapr.GetStateAsync<OrderProcess?>(service.StateStore, ProcessRunner.KeyOf(orderId), cancellationToken: cancellationToken) is { } process)
            return OrderProcessViews.Of(process);
        return await workflows.FindAsync(orderId, cancellationToken) is { } start ? await workflows.ViewAsync(start, cancellationToken) : null;
    }

    public async Task<IReadOnlyList<OrderProcessView>> ListAsync(CancellationToken cancellationToken)
    {
        var ids = await indexes.All.ListAsync(cancellationToken);
        // GetBulkStateAsync refuses an empty key list (dotnet-sdk DaprClientGrpc.cs): nothing started yet is an empty list.
        if (ids.Count == 0) return [];
        var processes = await dapr.GetBulkStateAsync<OrderProcess>(service.StateStore, ids.Select(ProcessRunner.KeyOf).ToList(), parallelism: 8, cancellationToken: cancellationToken);
        var views = processes.Select(i => i.Value).OfType<OrderProcess>().Select(OrderProcessViews.Of).ToList();
        var others = ids.Except(views.Select(v => v.OrderId), StringComparer.Ordinal).Select(WorkflowProcesses.KeyOf).ToList();
        if (others.Count > 0)
        {
            var starts = (await dapr.GetBulkStateAsync<WorkflowStart>(service.StateStore, others, parallelism: 8, cancellationToken: cancellationToken))
                .Select(i => i.Value).OfType<WorkflowStart>().ToList();
            var workflowViews = new OrderProcessView[starts.Count];
            await Parallel.ForAsync(0, starts.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (i, ct) => workflowViews[i] = await workflows.ViewAsync(starts[i], ct));
            views.AddRange(workflowViews);
        }
        return views.OrderByDescending(v => v.CreatedAt).ToList();
    }

    /// <summary>
    /// A runner instance known here is resumed with no read; otherwise the order's record says whose
    /// it is. Only a workflow that waits for the customer hears it; the runner reads the payment
    /// itself, so an order cancel means nothing to it. Repeats are harmless to both.
    /// </summary>
    public async Task OnCustomerDecisionAsync(string orderId, CustomerDecision decision, CancellationToken cancellationToken)
    {
        var forRunner = decision.Kind != CustomerDecisionKind.OrderCancelled;
        if (worker.Knows(orderId))
        {
            if (forRunner) worker.Enqueue(orderId);
            return;
        }
        if (await workflows.FindAsync(orderId, cancellationToken) is { } start)
        {
            if (!start.Request.AutoConfirmPayment) await workflows.RaiseAsync(orderId, decision, cancellationToken);
            return;
        }
        // An unknown id is resumed harmlessly (nothing to run).
        if (forRunner) worker.Enqueue(orderId);
    }
}
