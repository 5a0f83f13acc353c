using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Saga;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderProcessService.Processes;

public sealed class ProcessOptions
{
    /// <summary>How long a runner owns an instance; renewed by every step it persists.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Transient failures retried at once before the instance waits for the recovery tick.</summary>
    public int ImmediateRetries { get; set; } = 3;

    /// <summary>The engine of an order whose POST /order-processes names none (configuration OrderProcess:DefaultEngine).</summary>
    public SagaEngine DefaultEngine { get; set; } = SagaEngine.Workflow;
}

/// <summary>
/// Drives one instance through <see cref="OrderSaga.Steps"/>: takes its lease (a new instance is
/// created with it), runs the current step, persists the result with its ETag, and repeats; on a
/// refusal it runs the compensations in reverse. A runner that loses its lease (another took over
/// after it expired) stops.
/// </summary>
public sealed partial class ProcessRunner(
    DaprClient dapr, Participants participants, ServiceIdentity service, ProcessIndexes indexes,
    TimeProvider time, IOptions<ProcessOptions> options, ILogger<ProcessRunner> log)
{
    // Only for creating: a conflict means a racing retry with the same Idempotency-Key created it first.
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    public static string KeyOf(string orderId) => $"process-{orderId}";

    private TimeSpan LeaseDuration => options.Value.LeaseDuration;

    /// <summary>
    /// Stores a new instance already leased to the runner that will drive it, so that runner
    /// need not write a lease before its first step. The caller indexes the id first.
    /// </summary>
    public async Task<OrderProcess> CreateAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var created = OrderProcess.Start(request, now).Lease(NewOwner(), now, LeaseDuration)!;
        await dapr.SaveStateAsync(service.StateStore, KeyOf(request.OrderId), created, FirstWrite, cancellationToken: cancellationToken);
        return created;
    }

    /// <summary>
    /// As <see cref="CreateAsync"/>, for an id a racing or crashed request may have stored already
    /// (a retry with the same Idempotency-Key): Changed only for the call that stored it.
    /// </summary>
    public Task<Updated<OrderProcess>> CreateOnceAsync(SagaRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var created = OrderProcess.Start(request, now).Lease(NewOwner(), now, LeaseDuration)!;
        return dapr.UpdateAsync<OrderProcess>(service.StateStore, KeyOf(request.OrderId), p => p ?? created, cancellationToken);
    }

    /// <summary>Drives an instance written with its lease by <see cref="CreateAsync"/>.</summary>
    public Task<OrderProcess?> RunLeasedAsync(OrderProcess leased, CancellationToken cancellationToken)
    {
        // Every step starts with at least half a lease left, as after a renewal. If the queue held
        // the instance longer, the lease is written again first (renewed if still this owner's).
        var owner = leased.LeaseOwner ?? NewOwner();
        return leased.LeaseOwner is not null && leased.LeaseUntil - time.GetUtcNow() >= LeaseDuration / 2
            ? DriveAsync(leased, owner, cancellationToken)
            : LeaseAndDriveAsync(leased.OrderId, owner, cancellationToken);
    }

    /// <summary>Resumes an instance: reads it, takes its lease if free or expired, and drives it.</summary>
    public Task<OrderProcess?> RunAsync(string orderId, CancellationToken cancellationToken) =>
        LeaseAndDriveAsync(orderId, NewOwner(), cancellationToken);

    /// <summary>
    /// Resumes an instance the caller has just read, lease and all: the lease is written against
    /// that read's ETag, saving a second read. If anything was written since, it reads again and
    /// decides again, as <see cref="RunAsync"/> does.
    /// </summary>
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
            // One write per step: its result, the step log and the lease (renewed, or let go when
            // the saga ends or waits for the customer, so the next trigger takes it at once).
            // Read first for the ETag: SaveState does not return the one it wrote.
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

        // Only after the terminal write has landed: a crash before this leaves the id in the
        // index, and the recovery tick takes it out when it reads the finished instance.
        if (process?.IsTerminal == true) await indexes.Running.RemoveAsync(orderId, cancellationToken);
        return process;
    }

    private async Task<OrderProcess?> SaveAsync(string orderId, Func<OrderProcess?, OrderProcess?> decide, CancellationToken cancellationToken) =>
        (await dapr.UpdateAsync(service.StateStore, KeyOf(orderId), decide, cancellationToken)).Value;

    private static string NewOwner() => Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Information, Message = "Order process {OrderId}: step {Step} will be retried ({Outcome}: {Detail})")]
    private partial void LogRetry(string orderId, string step, StepOutcome outcome, string? detail);
}
