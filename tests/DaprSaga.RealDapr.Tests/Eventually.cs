namespace DaprSaga.RealDapr.Tests;

/// <summary>One expected value of the final state, read again on every poll.</summary>
public sealed record Check(string What, object? Expected, Func<Task<object?>> Actual);

/// <summary>
/// Awaits conditions that real sidecars and brokers make true in real time, with a deadline;
/// a timeout names what was still wrong.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    public static async Task TrueAsync(string what, Func<Task<bool>> condition, TimeSpan deadline)
    {
        var last = "not yet";
        await UntilAsync(async () =>
        {
            try
            {
                return await condition() ? null : "not yet";
            }
            catch (Exception e) when (IsTransient(e))
            {
                return e.Message;
            }
        }, deadline, reason => last = reason);
        if (last is not null) throw new TimeoutException($"Not within {deadline}: {what} (last: {last}).");
    }

    /// <summary>Waits until every check holds at the same time; on timeout lists those that did not.</summary>
    public static async Task AllHoldAsync(IReadOnlyList<Check> checks, TimeSpan deadline, Func<Task<string>> diagnostics)
    {
        string? mismatches = "never read";
        await UntilAsync(async () =>
        {
            var wrong = new List<string>();
            foreach (var check in checks)
            {
                try
                {
                    var actual = await check.Actual();
                    if (!Equals(check.Expected, actual)) wrong.Add($"{check.What}: expected {Show(check.Expected)}, was {Show(actual)}");
                }
                catch (Exception e) when (IsTransient(e))
                {
                    wrong.Add($"{check.What}: {e.Message}");
                }
            }
            return wrong.Count == 0 ? null : string.Join("; ", wrong);
        }, deadline, reason => mismatches = reason);
        if (mismatches is not null)
            throw new TimeoutException($"Not settled within {deadline}: {mismatches}\n{await diagnostics()}");
    }

    /// <summary>Polls <paramref name="whatIsWrong"/> (null = done) until done or the deadline; reports the last answer.</summary>
    private static async Task UntilAsync(Func<Task<string?>> whatIsWrong, TimeSpan deadline, Action<string?> report)
    {
        using var timeout = new CancellationTokenSource(deadline);
        using var poll = new PeriodicTimer(Poll);
        while (true)
        {
            var wrong = await whatIsWrong();
            report(wrong);
            if (wrong is null) return;
            try
            {
                await poll.WaitForNextTickAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static bool IsTransient(Exception e) =>
        e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException;

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
    };
}
