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
               sidecar calls per saga: {string.Join(", ", r.CallsPerSaga.Select(k => $"{k.Key} {k.Value:0.0}"))}; total {r.HopsPerSaga:0.0}
               CPU per saga: services {r.ServiceCpuMsPerSaga:0.00} ms, sidecars {r.SidecarCpuMsPerSaga:0.00} ms (driver {r.DriverCpuMsPerSaga:0.00} ms)
               peak working set: services process {r.ServicesPeakMemoryMb:0} MB, sidecars process {r.SidecarsPeakMemoryMb:0} MB
               garbage collections (gen 0/1/2): services {string.Join('/', r.ServicesGcCollections)}, sidecars {string.Join('/', r.SidecarsGcCollections)}
               broker: {r.Redeliveries} redeliveries, {r.DeadLettered} dead-lettered, {r.Dropped} dropped
               hop floor: {r.HopFloor.HopsPerSecond:0} hops/s (app CPU {r.HopFloor.AppCpuMsPerHop:0.000} ms, sidecar CPU {r.HopFloor.SidecarCpuMsPerHop:0.000} ms per hop); hop-bound {r.HopBoundSagasPerSecond:0.0} sagas/s; achieved/bound {r.AchievedOverHopBound:0.00}
            """));
        Console.WriteLine("   calls per saga by app:");
        Console.WriteLine(string.Create(c, $"     {"app",-22}{string.Join("", FlowResult.Kinds.Select(k => $"{k,17}"))}"));
        foreach (var (app, kinds) in r.CallsPerSagaByApp.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (kinds.Values.Sum() == 0) continue;
            Console.WriteLine(string.Create(c, $"     {app,-22}{string.Join("", FlowResult.Kinds.Select(k => $"{kinds[k],17:0.00}"))}"));
        }
        // A bulk read counts once per key here, once per call above.
        Console.WriteLine("   state keys read or written per saga, by app and key family (top 15):");
        foreach (var (family, perSaga) in r.StateCallsPerSagaByKey.Take(15))
            Console.WriteLine(string.Create(c, $"     {perSaga,7:0.00}  {family}"));
    }

    public static void PrintSummary(IReadOnlyList<FlowResult> results)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("| flow | sagas/s | p50 ms | p95 ms | p99 ms | p99 ms at half peak | calls/saga | services CPU ms/saga | sidecars CPU ms/saga | peak MB (svc/sidecar) | hop floor hops/s | achieved/hop-bound |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(c,
                $"| {r.Flow} | {r.SagasPerSecond:0.0} | {r.Latency.P50Ms:0.0} | {r.Latency.P95Ms:0.0} | {r.Latency.P99Ms:0.0} | {r.PacedLatency?.P99Ms.ToString("0.0", c) ?? "-"} | {r.HopsPerSaga:0.0} | {r.ServiceCpuMsPerSaga:0.00} | {r.SidecarCpuMsPerSaga:0.00} | {r.ServicesPeakMemoryMb:0}/{r.SidecarsPeakMemoryMb:0} | {r.HopFloor.HopsPerSecond:0} | {r.AchievedOverHopBound:0.00} |"));
        }
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
            """);
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
