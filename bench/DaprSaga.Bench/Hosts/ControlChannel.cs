using System.Diagnostics;
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

    /// <summary>This process's CPU time and peak working set, for the driver's accounting.</summary>
    /// <summary>What the process still holds after a full collection: the heap that grows if something leaks.</summary>
    public static JsonObject MemoryAfterCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return new JsonObject { ["heapBytes"] = GC.GetTotalMemory(forceFullCollection: true), ["workingSetBytes"] = self.WorkingSet64 };
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
        };
    }
}
