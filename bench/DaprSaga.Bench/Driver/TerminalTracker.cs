using System.Collections.Concurrent;
using System.Globalization;

namespace DaprSaga.Bench.Driver;

/// <summary>
/// Pairs each placement (driver side, Stopwatch ticks before the POST) with the order's first
/// terminal event (sidecar side, Stopwatch ticks when the broker had it). Either may come first:
/// a fast saga can end before its POST's answer is read.
/// </summary>
public sealed class TerminalTracker
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private int _terminal;

    public int TerminalCount => Volatile.Read(ref _terminal);

    public sealed class Entry
    {
        public long PlacedAt { get; set; }
        public long EndedAt { get; set; }
        public string? Topic { get; set; }
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A sidecar host line "T {ticks} {topic} {orderId}".</summary>
    public void OnLine(string line)
    {
        var parts = line.Split(' ');
        if (parts is not ["T", var ticks, var topic, var orderId]) return;
        var entry = _entries.GetOrAdd(orderId, _ => new Entry());
        lock (entry)
        {
            entry.EndedAt = long.Parse(ticks, CultureInfo.InvariantCulture);
            entry.Topic = topic;
            if (entry.PlacedAt != 0) Complete(entry);
        }
    }

    public Entry Placed(string orderId, long placedAt)
    {
        var entry = _entries.GetOrAdd(orderId, _ => new Entry());
        lock (entry)
        {
            entry.PlacedAt = placedAt;
            if (entry.EndedAt != 0) Complete(entry);
        }
        return entry;
    }

    private void Complete(Entry entry)
    {
        if (entry.Done.TrySetResult()) Interlocked.Increment(ref _terminal);
    }
}
