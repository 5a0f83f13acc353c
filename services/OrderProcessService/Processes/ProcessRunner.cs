using Dapr.Client;
using DaprSaga.OrderProcessService.Saga;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// Drives one instance under its lease: runs the current step, persists the result with its ETag,
/// repeats; a runner that loses its lease (another took over after it expired) stops.
/// </summary>
public sealed partial class ProcessRunner(
    DaprClient dapr, Participants participants, ServiceIdentity service, ProcessIndexes indexes,
    TimeProvider time, IOptions<ProcessOptions> options, ILogger<ProcessRunner> log)
{
    public static string KeyOf(string orderId) => $"process-{orderId}";

    private TimeSpan LeaseDuration => options.Value.LeaseDuration;

    public Task<OrderProcess?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<OrderProcess?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    public Task<(OrderProcess? Process, string ETag)> FindWithETagAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAndETagAsync<OrderProcess?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    // A key the bulk read failed on is absent (the SDK drops the item's error).
    public async Task<Dictionary<string, (OrderProcess Process, string ETag)>> FindManyAsync(
        IEnumerable<string> orderIds, CancellationToken cancellationToken) =>
        (await dapr.GetBulkStateAsync<OrderProcess>(service.StateStore, orderIds.Select(KeyOf).ToList(), parallelism: 8, cancellationToken: cancellationToken))
            .Where(i => i.Value is not null)
            .ToDictionary(i => i.Value.OrderId, i => (i.Value, i.ETag), StringComparer.Ordinal);

    // Stored leased, so its runner writes no lease before the first step; the caller indexes the id first.
    public async Task<OrderProcess> CreateAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var created = OrderProcess.Start(request, now).Lease(NewOwner(), now, LeaseDuration)!;
        await dapr.SaveStateAsync(service.StateStore, KeyOf(request.OrderId), created, StateStoreExtensions.FirstWrite, cancellationToken: cancellationToken);
        return created;
    }

    // For a retry with the same Idempotency-Key: Changed only for the call that stored it.
    public Task<Updated<OrderProcess>> CreateOnceAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var created = OrderProcess.Start(request, now).Lease(NewOwner(), now, LeaseDuration)!;
        return dapr.UpdateAsync<OrderProcess>(service.StateStore, KeyOf(request.OrderId), p => p ?? created, cancellationToken);
    }

    public Task<OrderProcess?> RunLeasedAsync(OrderProcess leased, CancellationToken cancellationToken)
    {
        // Every step starts with at least half a lease left; if the queue held it longer, the lease is written again.
        var owner = leased.LeaseOwner ?? NewOwner();
        return leased.LeaseOwner is not null && leased.LeaseUntil - time.GetUtcNow() >= LeaseDuration / 2
            ? DriveAsync(leased, owner, cancellationToken)
            : LeaseAndDriveAsync(leased.OrderId, owner, cancellationToken);
    }

    public Task<OrderProcess?> RunAsync(string orderId, CancellationToken cancellationToken) =>
        LeaseAndDriveAsync(orderId, NewOwner(), cancellationToken);

    // The lease is written against the caller's read's ETag; if anything was written since, it reads again.
    public async Task<OrderProcess?> ResumeAsync(OrderProcess seen, string? etag, CancellationToken cancellationToken)
    {
        var owner = NewOwner();
        if (seen.Lease(owner, time.GetUtcNow(), LeaseDuration) is not { } leased) return seen;
        if (!string.IsNullOrEmpty(etag)
            && await dapr.TrySaveStateAsync(service.StateStore, KeyOf(seen.OrderId), leased, etag, cancellationToken: cancellationToken))
        {
            return await DriveAsync(leased, owner, cancellationToken);
        }
        return await LeaseAndDriveAsync(seen.OrderId, owner, cancellationToken);
    }

    private async Task<OrderProcess?> LeaseAndDriveAsync(string orderId, string owner, CancellationToken cancellationToken)
    {
        var process = await SaveAsync(orderId, p => p?.Lease(owner, time.GetUtcNow(), LeaseDuration), cancellationToken);
        return process?.LeaseOwner == owner ? await DriveAsync(process, owner, cancellationToken) : process;
    }

    private async Task<OrderProcess?> DriveAsync(OrderProcess leased, string owner, CancellationToken cancellationToken)
    {
        var orderId = leased.OrderId;
        OrderProcess? process = leased;
        var failuresInARow = 0;
        while (process is { IsTerminal: false } && process.LeaseOwner == owner)
        {
            var compensating = process.Status == ProcessStatus.Compensating;
            var step = OrderSaga.Steps[process.CurrentStep];
            var result = compensating
                ? step.Compensation is null
                    ? StepResult.Done
                    : await step.Compensation(participants, process.Request with { Reason = process.CancellationReason }, cancellationToken)
                : await step.Action(participants, process.Request, cancellationToken);

            var now = time.GetUtcNow();
            var waiting = result.Outcome == StepOutcome.Waiting;
            // One write per step: result, step log and lease (let go when the saga ends or waits, so the
            // next trigger takes it at once). Read first for the ETag: SaveState does not return it.
            process = await SaveAsync(orderId, p =>
            {
                if (p?.LeaseOwner != owner) return null; // someone else took over: hands off
                var next = !compensating ? p.Advance(result, now)
                    : result.Outcome == StepOutcome.Done ? p.Compensated(now)
                    : p.Failed(now);
                return next.IsTerminal || waiting ? next.Release() : next with { LeaseUntil = now + LeaseDuration };
            }, cancellationToken);

            if (waiting) break;
            var progressed = result.Outcome == StepOutcome.Done
                || (result.Outcome == StepOutcome.Refused && process?.Status == ProcessStatus.Compensating);
            if (progressed)
            {
                failuresInARow = 0;
                continue;
            }
            LogRetry(orderId, step.Name, result.Outcome, result.Detail);
            // After a few immediate retries, leave it to the recovery tick once the lease expires.
            if (++failuresInARow > options.Value.ImmediateRetries) return process;
        }

        // After the terminal write: a crash before this leaves the id for the recovery tick to remove.
        if (process?.IsTerminal == true) await indexes.Running.RemoveAsync(orderId, cancellationToken);
        return process;
    }

    private async Task<OrderProcess?> SaveAsync(string orderId, Func<OrderProcess?, OrderProcess?> decide, CancellationToken cancellationToken) =>
        (await dapr.UpdateAsync(service.StateStore, KeyOf(orderId), decide, cancellationToken)).Value;

    private static string NewOwner() => Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Information, Message = "Order process {OrderId}: step {Step} will be retried ({Outcome}: {Detail})")]
    private partial void LogRetry(string orderId, string step, StepOutcome outcome, string? detail);
}
