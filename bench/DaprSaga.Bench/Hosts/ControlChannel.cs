using System.Diagnostics;
using System.Runtime;
using System.Text.Json.Nodes;

namespace DaprSaga.Bench.Hosts;

/// <summary>
/// The child side of the line protocol between the driver and a host process: one JSON command
/// per stdin line, answered by one "R {json}" line on stdout; the sidecar host also writes
/// unsolicited "T ..." lines (terminal events). Nothing else may write to stdout.
/// </summary>
public sealed class ControlChannel : IDisposable
{
    private readonly TextWriter _out;
    private readonly Lock _gate = new();

    public ControlChannel()
    {
        _out = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        // Anything else writing to the console must not corrupt the protocol.
        Console.SetOut(TextWriter.Null);
    }

    public void Reply(JsonObject body) => WriteLine("R " + body.ToJsonString());

    public void WriteLine(string line)
    {
        lock (_gate) _out.WriteLine(line);
    }

    /// <summary>Runs commands until stdin closes or "exit" comes; a failing command answers {"error": ...}.</summary>
    public async Task ServeAsync(Func<string, JsonObject, Task<JsonObject>> handle)
    {
        using var stdin = new StreamReader(Console.OpenStandardInput());
        while (await stdin.ReadLineAsync() is { } line)
        {
            var command = JsonNode.Parse(line)!.AsObject();
            var name = (string)command["cmd"]!;
            if (name == "exit") return;
            try
            {
                Reply(await handle(name, command));
            }
            catch (Exception e)
            {
                Reply(new JsonObject { ["error"] = e.ToString() });
            }
        }
    }

    public void Dispose() => _out.Dispose();

    /// <summary>
    /// What the process still holds after a full, compacting collection: the live objects (heap
    /// size less the free space between them), then where they sit and what the runtime keeps
    /// committed around them, so a rise can be told apart from fragmentation or pooling.
    /// </summary>
    public static JsonObject MemoryAfterCollection()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var (pooledBytes, pooledArrays) = PooledBuffers.OfSharedBytePool();
        using var self = Process.GetCurrentProcess();
        var generations = new JsonArray();
        foreach (var g in info.GenerationInfo) generations.Add(new JsonArray(g.SizeAfterBytes, g.FragmentationAfterBytes));
        return new JsonObject
        {
            ["heapBytes"] = GC.GetTotalMemory(forceFullCollection: false),
            ["liveBytes"] = info.HeapSizeBytes - info.FragmentedBytes,
            ["pooledBytes"] = pooledBytes,
            ["pooledArrays"] = pooledArrays,
            ["fragmentedBytes"] = info.FragmentedBytes,
            ["committedBytes"] = info.TotalCommittedBytes,
            ["pinnedObjects"] = info.PinnedObjectsCount,
            ["generations"] = generations,
            ["workingSetBytes"] = self.WorkingSet64,
            ["threads"] = self.Threads.Count,
        };
    }

    public static JsonObject ProcessStats()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return new JsonObject
        {
            ["cpuMs"] = self.TotalProcessorTime.TotalMilliseconds,
            ["peakWorkingSetBytes"] = self.PeakWorkingSet64,
            ["workingSetBytes"] = self.WorkingSet64,
            ["gcHeapBytes"] = GC.GetTotalMemory(forceFullCollection: false),
            ["gcCollections"] = new JsonArray(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)),
            ["allocatedBytes"] = GC.GetTotalAllocatedBytes(),
            ["jitMs"] = System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,
            ["gcPauseMs"] = GC.GetTotalPauseDuration().TotalMilliseconds,
        };
    }
}
