
namespace DaprSaga.TestSidecar.Tests;

/// <summary>One request the test app got: the unwrapped body and, for CloudEvents, the raw envelope.</summary>
public sealed record Received(
    string Route, IReadOnlyDictionary<string, string> Headers, string ContentType, JsonNode? Body, JsonObject? Envelope);

/// <summary>What the test app received, with a way to await a condition on it with a deadline.</summary>
public sealed class Recorder
{
    private readonly Lock _gate = new();
    private readonly List<Received> _received = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<Received> All
    {
        get { lock (_gate) return [.. _received]; }
    }

    public IReadOnlyList<Received> At(string route) => All.Where(r => r.Route == route).ToList();

    public void Add(Received received)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _received.Add(received);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    public async Task<IReadOnlyList<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> condition, TimeSpan? deadline = null)
    {
        using var cts = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_received)) return [.. _received];
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"condition not met; received: {string.Join(", ", All.Select(r => r.Route))}");
            }
        }
    }
}
