using System.Threading.Channels;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// Runs instances in the background, a bounded number at a time. Not durable on purpose: the
/// recovery tick resumes whatever a crash dropped from this queue.
/// </summary>
public sealed partial class ProcessWorker(ProcessRunner runner, ILogger<ProcessWorker> log) : BackgroundService
{
    private const int Parallelism = 16;
    // A recovery tick's worth at a few hundred sagas a second, so the tick reads none of them.
    private const int RememberedFinished = 8192;

    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>();
    private readonly Lock _gate = new();
    // Queued or running here, and whether a resume came in meanwhile.
    private readonly Dictionary<string, bool> _active = new(StringComparer.Ordinal);
    // Seen to finish here, most recent last: a resume for one of these needs no read.
    private readonly HashSet<string> _finished = new(StringComparer.Ordinal);
    private readonly Queue<string> _finishedInOrder = new();

    private sealed record Work(string OrderId, OrderProcess? Leased);

    public void Start(OrderProcess leased)
    {
        lock (_gate) _active[leased.OrderId] = false;
        _queue.Writer.TryWrite(new(leased.OrderId, leased));
    }

    public bool Knows(string orderId)
    {
        lock (_gate) return _active.ContainsKey(orderId) || _finished.Contains(orderId);
    }

    /// <summary>Seen to finish here: terminal as stored.</summary>
    public bool Finished(string orderId)
    {
        lock (_gate) return _finished.Contains(orderId);
    }

    // One queued or running already runs again after it stops, unless it finished: an event that
    // lands while its runner is about to save "waiting" is not left for the recovery tick.
    public bool Enqueue(string orderId)
    {
        lock (_gate)
        {
            if (_finished.Contains(orderId)) return false;
            if (_active.ContainsKey(orderId))
            {
                _active[orderId] = true;
                return false;
            }
            _active[orderId] = false;
        }
        return _queue.Writer.TryWrite(new(orderId, null));
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Parallel.ForEachAsync(_queue.Reader.ReadAllAsync(stoppingToken),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stoppingToken },
            async (work, ct) =>
            {
                OrderProcess? last = null;
                try
                {
                    last = work.Leased is { } leased
                        ? await runner.RunLeasedAsync(leased, ct)
                        : await runner.RunAsync(work.OrderId, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Left for the recovery tick; the instance and its lease are in the store.
                    LogFailed(e, work.OrderId);
                }
                finally
                {
                    Stopped(work.OrderId, last);
                }
            });

    private void Stopped(string orderId, OrderProcess? last)
    {
        var finished = last?.IsTerminal == true;
        bool again;
        lock (_gate)
        {
            again = _active.Remove(orderId, out var resumed) && resumed && !finished;
            if (finished && _finished.Add(orderId))
            {
                _finishedInOrder.Enqueue(orderId);
                if (_finishedInOrder.Count > RememberedFinished) _finished.Remove(_finishedInOrder.Dequeue());
            }
        }
        if (again) Enqueue(orderId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order process {OrderId} stopped on an error; the recovery tick resumes it")]
    private partial void LogFailed(Exception e, string orderId);
}
