using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults;

/// <summary>A failed item must not end a pass (the items after it would starve); it is tried again next tick.</summary>
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
