using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;

namespace DaprSaga.Bench.Hosts;

/// <summary>
/// Who rents arrays of at least <c>minBytes</c> from the shared ArrayPool, counted since start: the
/// listener runs on the renting thread, so the stack (up to its last await) and the ambient activity
/// (request path, gRPC method) are the renter's. Verbose ArrayPool events cost every rent: opt-in.
/// </summary>
public sealed class RentTracer(int minBytes) : EventListener
{
    private readonly ConcurrentDictionary<string, long[]> _byStack = new(StringComparer.Ordinal);
    private readonly ActivityListener _activities = Listen();

    // Every activity recorded, so the renter's ambient request (path, gRPC method) is known.
    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    public override void Dispose()
    {
        _activities.Dispose();
        base.Dispose();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "System.Buffers.ArrayPoolEventSource") EnableEvents(eventSource, EventLevel.Verbose);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        // BufferRented (1) and BufferAllocated (2): bufferId, bufferSize, poolId, bucketId.
        if (eventData.EventId is not (1 or 2) || eventData.Payload is not { Count: >= 2 } payload || payload[1] is not int size || size < minBytes) return;
        var frames = new StackTrace(1, false).GetFrames()
            .Select(f => f.GetMethod())
            .Where(m => m?.DeclaringType is { } t && !(t.Namespace ?? "").StartsWith("System.Diagnostics.Tracing", StringComparison.Ordinal)
                && !t.Name.Contains("ArrayPool", StringComparison.Ordinal) && t != typeof(RentTracer))
            .Take(4)
            .Select(m => $"{m!.DeclaringType!.FullName}.{m.Name}");
        var context = new List<string>();
        for (var a = Activity.Current; a is not null; a = a.Parent)
            context.Add($"{a.OperationName} {a.DisplayName} {a.GetTagItem("url.path") ?? a.GetTagItem("url.full") ?? a.GetTagItem("rpc.method")}");
        var key = $"{(eventData.EventId == 1 ? "rent" : "alloc")} {size} in [{string.Join(" < ", context)}]: {string.Join(" < ", frames)}";
        var counts = _byStack.GetOrAdd(key, _ => new long[1]);
        Interlocked.Increment(ref counts[0]);
    }

    public JsonArray Top()
    {
        var top = new JsonArray();
        foreach (var (stack, counts) in _byStack.OrderByDescending(p => p.Value[0]).Take(40)) top.Add($"{counts[0]} x {stack}");
        return top;
    }
}
