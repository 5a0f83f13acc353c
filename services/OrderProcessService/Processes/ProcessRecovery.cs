using Dapr.Client;
using DaprSaga.OrderProcessService.Workflows;
using DaprSaga.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// Resumes every unfinished instance whose lease has expired: on the `process-recovery` cron tick
/// and once at start-up. Waiting instances are resumed too, so the payment's state is read again
/// (the fallback when a payment event was missed). A workflow order is daprd's to drive: it is
/// only scheduled here if a crash left it unscheduled, and then leaves the index.
/// </summary>
public sealed class ProcessRecovery(
    DaprClient dapr, ProcessIndexes indexes, ProcessRunner runner, WorkflowProcesses workflows, ServiceIdentity service,
    TimeProvider time, IOptions<ProcessOptions> options, ILogger<ProcessRecovery> log)
{
    // Instances read in one bulk call; small enough that the reads stay fresh while the ones
    // before them are driven.
    private const int ChunkSize = 50;

    public async Task<int> ResumeAsync(CancellationToken cancellationToken)
    {
        var resumed = 0;
        var chunks = (await indexes.Running.ListAsync(cancellationToken)).Chunk(ChunkSize).Select(ids => new Chunk(ids));
        await RecoveryPass.RunAsync(chunks, async chunk =>
        {
            // One bulk read per chunk instead of one read per instance: most are leased (being
            // driven) and need nothing more. A resumed one takes its lease against this read's ETag.
            var seen = (await dapr.GetBulkStateAsync<OrderProcess>(
                    service.StateStore, chunk.Ids.Select(ProcessRunner.KeyOf).ToList(), parallelism: 8, cancellationToken: cancellationToken))
                .ToDictionary(i => i.Key, i => (i.Value, i.ETag), StringComparer.Ordinal);
            await RecoveryPass.RunAsync(chunk.Ids, async orderId =>
            {
                var (process, etag) = seen.GetValueOrDefault(ProcessRunner.KeyOf(orderId));
                // The bulk read reports a key it failed to read as absent (the SDK drops the item's
                // error), so an absent one is read once more before its id leaves the index.
                if (process is null)
                    (process, etag) = await dapr.GetStateAndETagAsync<OrderProcess>(service.StateStore, ProcessRunner.KeyOf(orderId), cancellationToken: cancellationToken);
                if (process is null && await workflows.FindAsync(orderId, cancellationToken) is { } start)
                {
                    // Its POST may still be scheduling it: left alone for as long as a runner's lease.
                    if (start.CreatedAt + options.Value.LeaseDuration > time.GetUtcNow()) return;
                    if (await workflows.EnsureScheduledAsync(start, cancellationToken)) resumed++;
                }
                if (process is null || process.IsTerminal)
                {
                    await indexes.Running.RemoveAsync(orderId, cancellationToken);
                    return;
                }
                if (process.LeaseOwner is not null && process.LeaseUntil > time.GetUtcNow()) return;
                await runner.ResumeAsync(process, etag, cancellationToken);
                resumed++;
            }, log, cancellationToken);
        }, log, cancellationToken);
        return resumed;
    }

    private sealed record Chunk(string[] Ids)
    {
        public override string ToString() => $"{Ids.Length} instance(s) from {Ids[0]}";
    }
}

/// <summary>Resumes what a crash left unfinished as soon as the sidecar answers.</summary>
public sealed partial class ProcessRecoveryAtStart(
    IServiceProvider services, DaprClient dapr, ILogger<ProcessRecoveryAtStart> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await dapr.WaitForSidecarAsync(stoppingToken);
            await services.GetRequiredService<ProcessRecovery>().ResumeAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The recovery tick tries again; a failed start-up pass must not stop the app.
            LogFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resuming unfinished order processes at start-up failed")]
    private partial void LogFailed(Exception e);
}
