using Dapr.Client;
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
}

/// <summary>
/// Drives one instance through <see cref="OrderSaga.Steps"/>: takes its lease, runs the current
/// step, persists the result with its ETag, and repeats; on a refusal it runs the compensations
/// in reverse. A runner that loses its lease (another took over after it expired) stops.
/// </summary>
public sealed partial class ProcessRunner(
    DaprClient dapr, Participants participants, ServiceIdentity service, ProcessIndexes indexes,
    TimeProvider time, IOptions<ProcessOptions> options, ILogger<ProcessRunner> log)
{
    public static string KeyOf(string orderId) => $"process-{orderId}";

    public async Task<OrderProcess?> RunAsync(string orderId, CancellationToken cancellationToken)
    {
        var owner = Guid.NewGuid().ToString("N");
        var process = await SaveAsync(orderId, p => p?.Lease(owner, time.GetUtcNow(), options.Value.LeaseDuration), cancellationToken);
        if (process?.LeaseOwner != owner) return process;

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
            process = await SaveAsync(orderId, p =>
            {
                if (p?.LeaseOwner != owner) return null; // someone else took over: hands off
                var next = !compensating ? p.Advance(result, now)
                    : result.Outcome == StepOutcome.Done ? p.Compensated(now)
                    : p.Failed(now);
                return next with { LeaseUntil = now + options.Value.LeaseDuration };
            }, cancellationToken);

            if (result.Outcome == StepOutcome.Waiting) break;
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

        if (process is null) return null;
        if (process.IsTerminal) await indexes.Running.RemoveAsync(orderId, cancellationToken);
        // Done, waiting or finished: let the next trigger take it at once.
        return await SaveAsync(orderId, p => p?.LeaseOwner == owner ? p.Release() : p, cancellationToken);
    }

    private async Task<OrderProcess?> SaveAsync(string orderId, Func<OrderProcess?, OrderProcess?> decide, CancellationToken cancellationToken) =>
        (await dapr.UpdateAsync(service.StateStore, KeyOf(orderId), decide, cancellationToken)).Value;

    [LoggerMessage(Level = LogLevel.Information, Message = "Order process {OrderId}: step {Step} will be retried ({Outcome}: {Detail})")]
    private partial void LogRetry(string orderId, string step, StepOutcome outcome, string? detail);
}
