using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaprSaga.Bench.Driver;

public static class Report
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static void PrintFlow(FlowResult r)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"""
               result: {(r.Mismatches.Count == 0 ? "every saga verified" : $"{r.Mismatches.Count} MISMATCH(ES)")} ({string.Join(", ", r.Mix.OrderBy(m => m.Key).Select(m => $"{m.Value} {m.Key}"))})
               throughput: {r.SagasPerSecond:0.0} sagas/s ({r.Sagas} in {r.ElapsedSeconds:0.00} s, concurrency {r.Concurrency})
               latency placement→terminal: p50 {r.Latency.P50Ms:0.0} ms, p95 {r.Latency.P95Ms:0.0} ms, p99 {r.Latency.P99Ms:0.0} ms, max {r.Latency.MaxMs:0.0} ms
               latency at half the peak ({r.PacedSagas} sagas arriving at {r.PacedSagasPerSecond:0.0}/s): {(r.PacedLatency is { } p ? $"p50 {p.P50Ms:0.0} ms, p95 {p.P95Ms:0.0} ms, p99 {p.P99Ms:0.0} ms, max {p.MaxMs:0.0} ms" : "not measured")}
               at half the peak, per saga: {(r.PacedCost is { } pc ? $"CPU services {pc.ServiceCpuMsPerSaga:0.00} ms, sidecars {pc.SidecarCpuMsPerSaga:0.00} ms; {pc.HopsPerSaga:0.0} sidecar calls of every kind (the scheduled passes that ran meanwhile included)" : "not measured")}
               sidecar calls per saga: {string.Join(", ", r.CallsPerSaga.Select(k => $"{k.Key} {k.Value:0.0}"))}; total {r.HopsPerSaga:0.0}
               state calls per saga: participants {r.ParticipantStateCallsPerSaga:0.0}, orchestrator {r.OrchestratorStateCallsPerSaga:0.0}
               workflow backend work items per saga (streamed, not hops): {string.Join(", ", r.WorkItemsPerSaga.Select(k => $"{k.Key} {k.Value:0.0}"))}; total {r.WorkItemsPerSaga.Values.Sum():0.0}
               CPU per saga: services {r.ServiceCpuMsPerSaga:0.00} ms, sidecars {r.SidecarCpuMsPerSaga:0.00} ms (driver {r.DriverCpuMsPerSaga:0.00} ms)
               peak working set: services process {r.ServicesPeakMemoryMb:0} MB, sidecars process {r.SidecarsPeakMemoryMb:0} MB
               garbage collections (gen 0/1/2): services {string.Join('/', r.ServicesGcCollections)}, sidecars {string.Join('/', r.SidecarsGcCollections)}
               allocated per saga: services {r.ServicesAllocatedKbPerSaga:0} KB, sidecars {r.SidecarsAllocatedKbPerSaga:0} KB
               per saga in both processes: JIT compiling {r.JitMsPerSaga:0.00} ms, paused for GC {r.GcPauseMsPerSaga:0.00} ms
               broker: {r.Redeliveries} redeliveries, {r.DeadLettered} dead-lettered, {r.Dropped} dropped
               hop floor: {r.HopFloor.HopsPerSecond:0} hops/s (app CPU {r.HopFloor.AppCpuMsPerHop:0.000} ms, sidecar CPU {r.HopFloor.SidecarCpuMsPerHop:0.000} ms per hop); hop-bound {r.HopBoundSagasPerSecond:0.0} sagas/s; achieved/bound {r.AchievedOverHopBound:0.00}
            """));
        Console.WriteLine("   calls per saga by app (the last two columns are work items, not hops):");
        string[] columns = [.. FlowResult.Kinds, .. FlowResult.WorkItemKinds];
        Console.WriteLine(string.Create(c, $"     {"app",-22}{string.Join("", columns.Select(k => $"{k,17}"))}"));
        foreach (var (app, kinds) in r.CallsPerSagaByApp.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (kinds.Values.Sum() == 0) continue;
            Console.WriteLine(string.Create(c, $"     {app,-22}{string.Join("", columns.Select(k => $"{kinds[k],17:0.00}"))}"));
        }
        // A bulk read counts once per key here, once per call above.
        Console.WriteLine("   state keys read or written per saga, by app and key family (top 15):");
        foreach (var (family, perSaga) in r.StateCallsPerSagaByKey.Take(15))
            Console.WriteLine(string.Create(c, $"     {perSaga,7:0.00}  {family}"));
        if (r.Soak.Count > 2) PrintSoak(r.Soak);
    }

    // Growth is measured from the first sample after one chunk of soak, once caches and pools are warm.
    private static void PrintSoak(IReadOnlyList<SoakSample> soak)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine("   soak at half the peak, after a full compacting collection in each process:");
        Console.WriteLine("       sagas  services heap MB  of which pooled  services retained MB  sidecars heap MB  stored keys  keys added per saga");
        for (var i = 0; i < soak.Count; i++)
        {
            var s = soak[i];
            var added = i == 0 ? "" : ((s.StoredKeys - soak[i - 1].StoredKeys) / (double)(s.Sagas - soak[i - 1].Sagas)).ToString("0.00", c);
            Console.WriteLine(string.Create(c,
                $"     {s.Sagas,7}  {s.ServicesHeapMb,16:0.0}  {s.ServicesPooledMb,15:0.0}  {s.ServicesRetainedMb,20:0.0}  {s.SidecarsHeapMb,16:0.0}  {s.StoredKeys,11}  {added,19}"));
        }
        var (warm, last) = (soak[1], soak[^1]);
        static double Growth(double from, double to) => 100 * (to - from) / from;
        Console.WriteLine(string.Create(c,
            $"     services retained growth after warm-up: {Growth(warm.ServicesRetainedMb, last.ServicesRetainedMb):+0.0;-0.0} % over {last.Sagas - warm.Sagas} sagas " +
            $"(heap with the pool: {Growth(warm.ServicesHeapMb, last.ServicesHeapMb):+0.0;-0.0} %)"));
    }

    /// <summary>The flows side by side: one row per measure, one column per flow.</summary>
    public static void PrintSummary(IReadOnlyList<FlowResult> results)
    {
        var c = CultureInfo.InvariantCulture;
        var rows = new List<(string Measure, Func<FlowResult, string> Value)>
        {
            ("verified", r => r.Mismatches.Count == 0 ? $"all {r.Mix.Values.Sum()}" : $"{r.Mismatches.Count} MISMATCH(ES)"),
            ("sagas/s", r => F(r.SagasPerSecond, "0.0")),
            ("p50 / p95 / p99 ms", r => $"{F(r.Latency.P50Ms, "0.0")} / {F(r.Latency.P95Ms, "0.0")} / {F(r.Latency.P99Ms, "0.0")}"),
            ("p99 ms at half peak", r => r.PacedLatency is { } p ? $"{F(p.P99Ms, "0.0")} (at {F(r.PacedSagasPerSecond, "0.0")}/s)" : "-"),
        };
        foreach (var kind in FlowResult.Kinds) rows.Add(($"calls/saga {kind}", r => F(r.CallsPerSaga[kind], "0.00")));
        rows.Add(("calls/saga total (hops)", r => F(r.HopsPerSaga, "0.00")));
        rows.Add(("state calls/saga participants", r => F(r.ParticipantStateCallsPerSaga, "0.00")));
        rows.Add(("state calls/saga orchestrator", r => F(r.OrchestratorStateCallsPerSaga, "0.00")));
        rows.Add(("workflow work items/saga (turns + activities)", r =>
            $"{F(r.WorkItemsPerSaga.Values.Sum(), "0.00")} ({F(r.WorkItemsPerSaga["WorkflowTurn"], "0.00")} + {F(r.WorkItemsPerSaga["WorkflowActivity"], "0.00")})"));
        rows.Add(("CPU ms/saga services / sidecars", r => $"{F(r.ServiceCpuMsPerSaga, "0.00")} / {F(r.SidecarCpuMsPerSaga, "0.00")}"));
        rows.Add(("CPU ms/saga at half peak services / sidecars", r => r.PacedCost is { } p ? $"{F(p.ServiceCpuMsPerSaga, "0.00")} / {F(p.SidecarCpuMsPerSaga, "0.00")}" : "-"));
        rows.Add(("peak MB services / sidecars", r => $"{F(r.ServicesPeakMemoryMb, "0")} / {F(r.SidecarsPeakMemoryMb, "0")}"));
        rows.Add(("allocated KB/saga services / sidecars", r => $"{F(r.ServicesAllocatedKbPerSaga, "0")} / {F(r.SidecarsAllocatedKbPerSaga, "0")}"));
        rows.Add(("JIT / GC pause ms/saga (both processes)", r => $"{F(r.JitMsPerSaga, "0.00")} / {F(r.GcPauseMsPerSaga, "0.00")}"));
        rows.Add(("GCs gen 0/1/2 services; sidecars", r => $"{string.Join('/', r.ServicesGcCollections)}; {string.Join('/', r.SidecarsGcCollections)}"));
        rows.Add(("hop floor hops/s", r => F(r.HopFloor.HopsPerSecond, "0")));
        rows.Add(("hop-bound sagas/s", r => F(r.HopBoundSagasPerSecond, "0.0")));
        rows.Add(("achieved / hop-bound", r => F(r.AchievedOverHopBound, "0.00")));

        Console.WriteLine();
        Console.WriteLine($"| measure | {string.Join(" | ", results.Select(r => r.Flow.ToString().ToLowerInvariant()))} |");
        Console.WriteLine($"|---|{string.Concat(results.Select(_ => "---|"))}");
        foreach (var (measure, value) in rows) Console.WriteLine($"| {measure} | {string.Join(" | ", results.Select(value))} |");
        Console.WriteLine();
        Console.WriteLine("""
            How to read it: services and test sidecars run in two separate processes (as apps and daprd do), so
            CPU per saga is each process's CPU time over the measured window (warm-up excluded, trailing work
            such as commits included) divided by the sagas: exact per process, but it includes each process's
            idle background work (timers, GC) and, for the sidecars, the terminal-event watcher (a 1 ms poll).
            The peak latencies are measured at the given concurrency, so they are mostly queueing; "at half
            peak" sagas arrive on a fixed schedule at half the measured peak rate (open loop).
            Latency runs from just before the POST to the moment the broker held the order's first
            order-completed/order-cancelled event (both clocks are the OS monotonic clock). Throughput ends at
            the last terminal event. The hop floor is service invocation of a bare app through its sidecar
            (app → sidecar → app, HTTP/1.1 on loopback) at the same concurrency; hop-bound = hop floor ÷ calls per
            saga, an upper bound as state and publish calls are one-way hops (cheaper than a full invocation).
            Calls per saga are the app → sidecar calls, each a hop under daprd: for the workflow, its client
            calls (start, get) and the worker's own calls (a completion per turn and per activity). The turns
            and activities daprd hands the worker ride one open gRPC stream, so they are shown as work items,
            not hops; the workflow's own history writes are sidecar → store, not app → sidecar, and not counted.
            order-process-service's workflow worker runs in every flow and calls Hello as a keepalive on a
            timer, so a few WorkflowWorker calls per minute show up even where no workflow runs.
            """);

        string F(double value, string format) => value.ToString(format, c);
    }

    public static string Json(BenchOptions options, IReadOnlyList<FlowResult> results) => JsonSerializer.Serialize(new
    {
        options.Sagas,
        options.Concurrency,
        options.Warmup,
        Cores = Environment.ProcessorCount,
        Runtime = Environment.Version.ToString(),
        Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        StartedAt = DateTimeOffset.UtcNow,
        Flows = results,
    }, JsonOptions);
}
