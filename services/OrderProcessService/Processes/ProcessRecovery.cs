using Dapr.Client;
using DaprSaga.OrderProcessService.Workflows;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// Resumes unfinished instances whose lease expired, waiting ones too (a payment event may be
/// missed); a workflow order is only scheduled if a crash left it unscheduled, then leaves the index.
/// </summary>
public sealed class ProcessRecovery(
    ProcessIndexes indexes, ProcessRunner runner, ProcessWorker worker, WorkflowProcesses workflows, TimeProvider time,
    IOptions<ProcessOptions> options, ILogger<ProcessRecovery> log)
{
    // Small enough that each bulk read stays fresh while the instances before it are driven.
    private const int ChunkSize = 50;

    public async Task<int> ResumeAsync(CancellationToken cancellationToken)
    {
        var resumed = 0;
        var running = await indexes.Running.ListAsync(cancellationToken);
        // What finished here is terminal as stored, so needs no read; one running here is read, as its runner may be stuck past its lease.
        var finished = running.Where(worker.Finished).ToList();
        var chunks = running.Where(id => !worker.Finished(id)).Chunk(ChunkSize).Select(ids => new Chunk(ids));
        await RecoveryPass.RunAsync(chunks, async chunk =>
        {
            // Most are leased (being driven) or finished; a resumed one takes its lease against this read's ETag.
            var seen = await runner.FindManyAsync(chunk.Ids, cancellationToken);
            await RecoveryPass.RunAsync(chunk.Ids, async orderId =>
            {
                // Absent may be a failed read: read once more before the id leaves the index.
                (OrderProcess? process, string etag) = seen.TryGetValue(orderId, out var found) ? (found.Value, found.ETag) : await runner.FindWithETagAsync(orderId, cancellationToken);
                if (process is null && await workflows.FindAsync(orderId, cancellationToken) is { } start)
                {
                    // Its POST may still be scheduling it: left alone for as long as a runner's lease.
                    if (start.CreatedAt + options.Value.LeaseDuration > time.GetUtcNow()) return;
                    if (await workflows.EnsureScheduledAsync(start, cancellationToken)) resumed++;
                }
                if (process is null || process.IsTerminal)
                {
                    finished.Add(orderId);
                    return;
                }
                if (process.LeaseOwner is not null && process.LeaseUntil > time.GetUtcNow()) return;
                await runner.ResumeAsync(process, etag, cancellationToken);
                resumed++;
            }, log, cancellationToken);
        }, log, cancellationToken);
        // Finished ones leave here, not in their runner: one write per shard instead of one per saga.
        await indexes.FinishedAsync(finished, cancellationToken);
        return resumed;
    }

    private sealed record Chunk(string[] Ids)
    {
        public override string ToString() => $"{Ids.Length} instance(s) from {Ids[0]}";
    }
}

/// <summary>Resumes what a crash left unfinished as soon as the sidecar answers.</summary>
public sealed partial class ProcessRecoveryAtStart(ProcessRecovery recovery, DaprClient dapr, ILogger<ProcessRecoveryAtStart> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await dapr.WaitForSidecarAsync(stoppingToken);
            await recovery.ResumeAsync(stoppingToken);
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
