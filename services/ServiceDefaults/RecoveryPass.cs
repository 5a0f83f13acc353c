using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// One step per item of a recovery pass (sweep, expiry, deadline, resume). A transient failure of
/// one item must not end the pass: the items after it would starve, tick after tick, while faults
/// go on. A failed item is logged and tried again on the next tick.
/// </summary>
public static partial class RecoveryPass
{
    /// <returns>How many items failed this time.</returns>
    public static async Task<int> RunAsync<T>(
        IEnumerable<T> items, Func<T, Task> step, ILogger log, CancellationToken cancellationToken)
    {
        var failed = 0;
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await step(item);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed++;
                LogFailed(log, e, item?.ToString());
            }
        }
        return failed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery step for {Item} failed; the next tick tries again")]
    private static partial void LogFailed(ILogger log, Exception e, string? item);
}
