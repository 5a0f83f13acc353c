using Dapr.Client;
using DaprSaga.OrderProcessService.Saga;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// Drives one instance under its lease: runs its steps and persists their log with its ETag at each end,
/// wait, refusal, trouble and the pivot; a runner that loses its lease (another took over after it expired) stops.
/// </summary>
public sealed partial class ProcessRunner(
    DaprClient dapr, Participants participants, ServiceIdentity service,
    TimeProvider time, IOptions<ProcessOptions> options, IOptions<RetentionOptions> retention, ILogger<ProcessRunner> log)
{
    public static string KeyOf(string orderId) => $"process-{orderId}";

    private TimeSpan LeaseDuration => options.Value.LeaseDuration;

    public Task<OrderProcess?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<OrderProcess?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    public Task<(OrderProcess? Process, string ETag)> FindWithETagAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAndETagAsync<OrderProcess?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    public async Task<Dictionary<string, Stored<OrderProcess>>> FindManyAsync(IEnumerable<string> orderIds, CancellationToken cancellationToken) =>
        (await dapr.ReadManyAsync<OrderProcess>(service.StateStore, orderIds.Select(KeyOf), cancellationToken))
            .Values.ToDictionary(s => s.Value.OrderId, StringComparer.Ordinal);

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
        // A wait that still waits needs no lease and no write: looking at the payment changes nothing.
        if (seen.Status == ProcessStatus.WaitingForPayment && seen.CancelRequested is null
            && (await OrderSaga.Steps[seen.CurrentStep].Action(participants, seen.Request, cancellationToken)).Outcome == StepOutcome.Waiting)
            return seen;
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
            // A step starts only with half a lease left; saving renews it.
            if (process.LeaseUntil - time.GetUtcNow() < LeaseDuration / 2)
            {
                process = await SaveAsync(process, owner, time.GetUtcNow(), cancellationToken);
                continue;
            }
            if (process.TakeCancel(time.GetUtcNow()) is { } cancelled)
            {
                process = await SaveAsync(cancelled, owner, time.GetUtcNow(), cancellationToken);
                continue;
            }
            var compensating = process.Status == ProcessStatus.Compensating;
            var step = OrderSaga.Steps[process.CurrentStep];
            var result = compensating
                ? step.Compensation is null
                    ? StepResult.Done
                    : await step.Compensation(participants, process.Request with { Reason = process.CancellationReason }, cancellationToken)
                : await step.Action(participants, process.Request, cancellationToken);

            var now = time.GetUtcNow();
            var next = !compensating ? process.Advance(result, now)
                : result.Outcome == StepOutcome.Done ? process.Compensated(now)
                : process.Failed(now);
            if (result.Outcome == StepOutcome.Done && !next.IsTerminal && !(step.Name == OrderSaga.Pivot && !compensating))
            {
                // Kept unsaved: every command is idempotent, so a crash re-sends from the last save and gets the same answers.
                process = next;
                failuresInARow = 0;
                continue;
            }
            var waiting = result.Outcome == StepOutcome.Waiting;
            // Saved with its log: an end, a wait, a refusal, trouble, or the pivot (after it, never again a step before it).
            process = await SaveAsync(waiting ? next.Release() : next, owner, now, cancellationToken);

            // A cancel noted meanwhile kept the lease: it is taken next instead of waiting.
            if (waiting && process?.CancelRequested is null) break;
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
        return process;
    }

    /// <summary>Notes an outside cancel on a runner's instance; null when the order has none.</summary>
    public Task<OrderProcess?> RequestCancelAsync(string orderId, CancellationReason reason, CancellationToken cancellationToken) =>
        SaveAsync(orderId, p => p?.RequestCancel(reason), cancellationToken);

    /// <summary>
    /// One ETag-guarded write of what this runner did since its last save, if it still holds the lease (then only
    /// an outside cancel was written meanwhile, and it is kept along with the lease); the lease is renewed, or let go
    /// at the end. Null or another owner: hands off.
    /// </summary>
    private Task<OrderProcess?> SaveAsync(OrderProcess next, string owner, DateTimeOffset now, CancellationToken cancellationToken) =>
        SaveAsync(next.OrderId, p =>
        {
            if (p?.LeaseOwner != owner) return null;
            if (p.CancelRequested is { } reason && next.CancelRequested is null && !next.IsTerminal)
                next = next with { CancelRequested = reason, LeaseOwner = owner };
            if (next.LeaseOwner is null) return next;
            return next.IsTerminal ? next.Release() : next with { LeaseUntil = now + LeaseDuration };
        }, cancellationToken);

    // A finished instance expires after the retention window; its order and the participants' records stay.
    private async Task<OrderProcess?> SaveAsync(string orderId, Func<OrderProcess?, OrderProcess?> decide, CancellationToken cancellationToken) =>
        (await dapr.UpdateAsync(service.StateStore, KeyOf(orderId), decide,
            p => p.IsTerminal ? StateStoreExtensions.ExpiresAfter(retention.Value.Window) : null, cancellationToken)).Value;

    private static string NewOwner() => Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Information, Message = "Order process {OrderId}: step {Step} will be retried ({Outcome}: {Detail})")]
    private partial void LogRetry(string orderId, string step, StepOutcome outcome, string? detail);
}
