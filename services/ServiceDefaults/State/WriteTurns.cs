using System.Collections.Concurrent;

namespace DaprSaga.ServiceDefaults.State;

/// <summary>One write at a time per key (a product, a courier: a bounded set) in this process, not a race all but one lose; replicas still race.</summary>
public sealed class WriteTurns
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _turns = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="write"/> in <paramref name="key"/>'s turn, telling it whether another write went first (a read from before is stale).</summary>
    public async Task<T> TakeAsync<T>(string key, Func<bool, Task<T>> write, CancellationToken cancellationToken)
    {
        var turn = _turns.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        var waited = !turn.Wait(0, CancellationToken.None);
        if (waited) await turn.WaitAsync(cancellationToken);
        try
        {
            return await write(waited);
        }
        finally
        {
            turn.Release();
        }
    }
}
