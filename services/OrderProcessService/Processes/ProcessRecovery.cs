using Dapr.Client;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// Resumes every unfinished instance whose lease has expired: on the `process-recovery` cron tick
/// and once at start-up. Waiting instances are resumed too, so the payment's state is read again
/// (the fallback when a payment event was missed).
/// </summary>
public sealed class ProcessRecovery(
    DaprClient dapr, ProcessIndexes indexes, ProcessRunner runner, ServiceIdentity service, TimeProvider time,
    ILogger<ProcessRecovery> log)
{
    public async Task<int> ResumeAsync(CancellationToken cancellationToken)
    {
        var resumed = 0;
        await RecoveryPass.RunAsync(await indexes.Running.ListAsync(cancellationToken), async orderId =>
        {
            var process = await dapr.GetStateAsync<OrderProcess>(service.StateStore, ProcessRunner.KeyOf(orderId), cancellationToken: cancellationToken);
            if (process is null || process.IsTerminal)
            {
                await indexes.Running.RemoveAsync(orderId, cancellationToken);
                return;
            }
            if (process.LeaseOwner is not null && process.LeaseUntil > time.GetUtcNow()) return;
            await runner.RunAsync(orderId, cancellationToken);
            resumed++;
        }, log, cancellationToken);
        return resumed;
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
