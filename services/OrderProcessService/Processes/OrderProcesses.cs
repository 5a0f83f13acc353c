using Dapr;
using Dapr.Client;
using DaprSaga.OrderProcessService.Saga;
using DaprSaga.OrderProcessService.Workflows;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// The sagas of both engines behind one contract; an order's record says its engine:
/// `process-{id}` for the runner, `workflow-{id}` for Dapr Workflow.
/// </summary>
public sealed class OrderProcesses(
    DaprClient dapr, ServiceIdentity service, ProcessIndexes indexes, ProcessRunner runner, ProcessWorker worker,
    WorkflowProcesses workflows, TimeProvider time, IOptions<RetentionOptions> retention)
{
    public async Task<OrderProcessView?> StartAsync(SagaRequest request, string? idempotencyKey, string fingerprint, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null) return await StartNewAsync(request, cancellationToken);
        // First write wins, so racing retries agree on one order id.
        var use = await dapr.ClaimIdempotencyKeyAsync(
            service.StateStore, idempotencyKey, fingerprint, request.OrderId, time.GetUtcNow(), retention.Value.Window, cancellationToken);
        if (use.ReusedForAnotherRequest) return null;
        return use.Claimed
            ? await StartNewAsync(request, cancellationToken)
            : await StartAgainAsync(request with { OrderId = use.ResourceId }, cancellationToken);
    }

    // Indexed first, so neither the listing nor the recovery tick can miss the instance.
    private async Task<OrderProcessView> StartNewAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        await indexes.AddAsync(request.OrderId, cancellationToken);
        try
        {
            if (request.Engine == SagaEngine.Workflow)
                return WorkflowProcesses.View(await workflows.StartAsync(request, cancellationToken), null);
            var created = await runner.CreateAsync(request, cancellationToken);
            worker.Start(created);
            return created.ToView();
        }
        catch (DaprException)
        {
            // A racing retry with the same Idempotency-Key stored it first, or the write failed: go on from what is stored.
            return await StartAgainAsync(request, cancellationToken);
        }
    }

    // A retry: what the first request stored decides the engine; what it left undone is finished here.
    private async Task<OrderProcessView> StartAgainAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        if (await runner.FindAsync(request.OrderId, cancellationToken) is { } process)
            return process.ToView();
        if (await workflows.FindAsync(request.OrderId, cancellationToken) is { } found)
        {
            var start = await workflows.EnsureStartedAsync(found.Request, cancellationToken);
            return await workflows.ViewAsync(start, cancellationToken) ?? WorkflowProcesses.View(start, null);
        }
        if (request.Engine == SagaEngine.Workflow)
        {
            await indexes.AddAsync(request.OrderId, cancellationToken);
            return WorkflowProcesses.View(await workflows.EnsureStartedAsync(request, cancellationToken), null);
        }
        await indexes.AddAsync(request.OrderId, cancellationToken);
        var created = await runner.CreateOnceAsync(request, cancellationToken);
        if (created.Changed) worker.Start(created.Value!);
        return created.Value!.ToView();
    }

    public async Task<OrderProcessView?> GetAsync(string orderId, CancellationToken cancellationToken)
    {
        if (await runner.FindAsync(orderId, cancellationToken) is { } process)
            return process.ToView();
        return await workflows.FindAsync(orderId, cancellationToken) is { } start ? await workflows.ViewAsync(start, cancellationToken) : null;
    }

    public async Task<IReadOnlyList<OrderProcessView>> ListAsync(CancellationToken cancellationToken)
    {
        var ids = await indexes.ListAsync(cancellationToken);
        var views = (await runner.FindManyAsync(ids, cancellationToken)).Values.Select(p => p.Value.ToView()).ToList();
        var others = ids.Except(views.Select(v => v.OrderId), StringComparer.Ordinal).ToList();
        if (others.Count > 0)
        {
            var starts = await workflows.FindManyAsync(others, cancellationToken);
            var workflowViews = new OrderProcessView?[starts.Count];
            await Parallel.ForAsync(0, starts.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (i, ct) => workflowViews[i] = await workflows.ViewAsync(starts[i], ct));
            views.AddRange(workflowViews.OfType<OrderProcessView>());
        }
        return views.OrderByDescending(v => v.CreatedAt).ToList();
    }

    // A payment decision wakes the runner, which reads the payment itself, or a workflow that waits for the
    // customer. An unknown id is resumed harmlessly.
    public async Task OnCustomerDecisionAsync(string orderId, CustomerDecision decision, CancellationToken cancellationToken)
    {
        if (decision.Kind == CustomerDecisionKind.OrderCancelled)
        {
            await OnOrderCancelledAsync(orderId, decision.Reason ?? CancellationReason.CustomerCancelled, cancellationToken);
            return;
        }
        if (worker.Knows(orderId))
        {
            worker.Enqueue(orderId);
            return;
        }
        if (await workflows.FindAsync(orderId, cancellationToken) is { } start)
        {
            if (!start.Request.AutoConfirmPayment) await workflows.RaiseAsync(orderId, decision, cancellationToken);
            return;
        }
        worker.Enqueue(orderId);
    }

    // A cancel from outside (the customer's, or the order's deadline) reaches the saga at once: the runner's
    // instance notes it and is woken, a workflow hears it. The saga's own compensation echoes with its reason.
    private async Task OnOrderCancelledAsync(string orderId, CancellationReason reason, CancellationToken cancellationToken)
    {
        if (reason is not (CancellationReason.CustomerCancelled or CancellationReason.SagaTimedOut)) return;
        if (await runner.RequestCancelAsync(orderId, reason, cancellationToken) is { } process)
        {
            if (!process.IsTerminal) worker.Enqueue(orderId);
            return;
        }
        // A workflow busy with a step takes it at its next wait: the payment's, or a backoff.
        if (await workflows.FindAsync(orderId, cancellationToken) is not null)
            await workflows.RaiseAsync(orderId, new(CustomerDecisionKind.OrderCancelled, reason), cancellationToken);
    }
}
