using System.Text.Json.Nodes;
using DaprSaga.Contracts;
using HdrHistogram;

namespace DaprSaga.Bench.Driver;

public sealed record HopFloorResult(long Hops, long Failed, double HopsPerSecond, int Concurrency, double AppCpuMsPerHop, double SidecarCpuMsPerHop);

public sealed record Latency(double P50Ms, double P95Ms, double P99Ms, double MaxMs, double MeanMs);

/// <summary>What a saga at half the peak rate costs, the scheduled passes that ran meanwhile included.</summary>
public sealed record PacedCost(double ServiceCpuMsPerSaga, double SidecarCpuMsPerSaga, double HopsPerSaga);

/// <summary>
/// After <paramref name="Sagas"/> soak sagas: what both processes hold after a full collection, of which the
/// services' <paramref name="ServicesPooledMb"/> in ArrayPool&lt;byte&gt;.Shared's caches, and the keys stored.
/// </summary>
public sealed record SoakSample(int Sagas, double ServicesHeapMb, double ServicesPooledMb, double SidecarsHeapMb, long StoredKeys, long StoredBytes)
{
    /// <summary>What the services' own code keeps: the heap less the runtime's cache of pooled arrays.</summary>
    public double ServicesRetainedMb => ServicesHeapMb - ServicesPooledMb;
}

/// <summary>Everything measured for one flow, per saga where it says so.</summary>
public sealed record FlowResult(
    BenchFlow Flow,
    int Sagas,
    int Concurrency,
    IReadOnlyDictionary<Outcome, int> Mix,
    double ElapsedSeconds,
    double SagasPerSecond,
    Latency Latency,
    int PacedSagas,
    double PacedSagasPerSecond,
    Latency? PacedLatency,
    IReadOnlyDictionary<string, double> CallsPerSaga,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> CallsPerSagaByApp,
    IReadOnlyDictionary<string, double> StateCallsPerSagaByKey,
    double HopsPerSaga,
    double ParticipantStateCallsPerSaga,
    double OrchestratorStateCallsPerSaga,
    IReadOnlyDictionary<string, double> WorkItemsPerSaga,
    double ServiceCpuMsPerSaga,
    double SidecarCpuMsPerSaga,
    double DriverCpuMsPerSaga,
    double ServicesPeakMemoryMb,
    double SidecarsPeakMemoryMb,
    IReadOnlyList<long> ServicesGcCollections,
    IReadOnlyList<long> SidecarsGcCollections,
    double ServicesAllocatedKbPerSaga,
    double SidecarsAllocatedKbPerSaga,
    double JitMsPerSaga,
    double GcPauseMsPerSaga,
    long Redeliveries,
    long DeadLettered,
    long Dropped,
    HopFloorResult HopFloor,
    double HopBoundSagasPerSecond,
    double AchievedOverHopBound,
    IReadOnlyList<string> Mismatches)
{
    public IReadOnlyList<SoakSample> Soak { get; init; } = [];

    public PacedCost? PacedCost { get; init; }

    /// <summary>
    /// The kinds that are app ↔ sidecar hops (the binding and metadata kinds are not per saga). A
    /// workflow client call and each of the worker's own calls (a Complete* per turn and per
    /// activity) is a unary gRPC call to daprd, so a hop; the work items daprd streams to the worker
    /// ride its one open GetWorkItems stream and are counted apart, as <see cref="WorkItemKinds"/>.
    /// </summary>
    public static readonly string[] Kinds = ["Publish", "Delivery", "StateRead", "StateWrite", "StateTransaction", "Invoke", "WorkflowClient", "WorkflowWorker"];

    /// <summary>The workflow backend's work items sent down the worker's stream: turns (replays) and activities.</summary>
    public static readonly string[] WorkItemKinds = ["WorkflowTurn", "WorkflowActivity"];

    private static readonly string[] StateKinds = ["StateRead", "StateWrite", "StateTransaction"];

    /// <summary>The saga's participants: every app but the orchestrator.</summary>
    private static readonly string[] Participants = [AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService];

    public static FlowResult From(
        BenchFlow flow, int sagas, int concurrency, TimeSpan elapsed, LongHistogram latencies,
        JsonObject sidecarsBefore, JsonObject sidecarsAfter, JsonObject appsBefore, JsonObject appsAfter,
        TimeSpan driverCpu, HopFloorResult hop, IReadOnlyList<string> mismatches, IReadOnlyDictionary<Outcome, int> mix,
        int pacedSagas, double pacedRate, LongHistogram? pacedLatencies)
    {
        var byApp = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        foreach (var (appId, after) in sidecarsAfter["calls"]!.AsObject())
        {
            var before = sidecarsBefore["calls"]![appId]?.AsObject();
            byApp[appId] = Kinds.Concat(WorkItemKinds).ToDictionary(k => k, k => ((long?)after![k] ?? 0) - ((long?)before?[k] ?? 0) is var n ? (double)n / sagas : 0);
        }
        var perKind = Kinds.ToDictionary(k => k, k => byApp.Values.Sum(a => a[k]));
        var workItems = WorkItemKinds.ToDictionary(k => k, k => byApp.Values.Sum(a => a[k]));
        double StateCalls(IEnumerable<string> apps) => apps.Where(byApp.ContainsKey).Sum(a => StateKinds.Sum(k => byApp[a][k]));
        // "{app} {kind} {key family}" → calls per saga, most first: where the state calls go.
        var byKey = sidecarsAfter["keys"]!.AsObject()
            .SelectMany(app => app.Value!.AsObject().Select(f => (
                Name: $"{app.Key} {f.Key}",
                Count: (long)f.Value! - ((long?)sidecarsBefore["keys"]?[app.Key]?[f.Key] ?? 0))))
            .Where(f => f.Count > 0)
            .OrderByDescending(f => f.Count)
            .ToDictionary(f => f.Name, f => (double)f.Count / sagas);
        var hops = perKind.Values.Sum();
        var rate = sagas / elapsed.TotalSeconds;
        var bound = hop.HopsPerSecond / hops;
        return new FlowResult(
            flow, sagas, concurrency, mix, elapsed.TotalSeconds, rate, LatencyOf(latencies),
            pacedSagas, pacedRate, pacedLatencies is null ? null : LatencyOf(pacedLatencies),
            perKind, byApp, byKey, hops,
            StateCalls(Participants), StateCalls([AppIds.OrderProcessService]), workItems,
            Bench.CpuMs(appsBefore, appsAfter) / sagas,
            Bench.CpuMs(sidecarsBefore, sidecarsAfter) / sagas,
            driverCpu.TotalMilliseconds / sagas,
            (long)appsAfter["peakWorkingSetBytes"]! / 1048576.0,
            (long)sidecarsAfter["peakWorkingSetBytes"]! / 1048576.0,
            Collections(appsBefore, appsAfter), Collections(sidecarsBefore, sidecarsAfter),
            AllocatedKb(appsBefore, appsAfter) / sagas, AllocatedKb(sidecarsBefore, sidecarsAfter) / sagas,
            (Ms(appsBefore, appsAfter, "jitMs") + Ms(sidecarsBefore, sidecarsAfter, "jitMs")) / sagas,
            (Ms(appsBefore, appsAfter, "gcPauseMs") + Ms(sidecarsBefore, sidecarsAfter, "gcPauseMs")) / sagas,
            Delta("redeliveries"), Delta("deadLettered"), Delta("dropped"),
            hop, bound, rate / bound, mismatches);

        static Latency LatencyOf(LongHistogram h) => new(
            h.GetValueAtPercentile(50) / 1000.0, h.GetValueAtPercentile(95) / 1000.0, h.GetValueAtPercentile(99) / 1000.0,
            h.GetMaxValue() / 1000.0, h.GetMean() / 1000.0);

        long Delta(string name) => (long)sidecarsAfter[name]! - (long)sidecarsBefore[name]!;

        // Bytes allocated on the managed heap: a steadier measure of work per saga than CPU time on a shared machine.
        static double AllocatedKb(JsonObject before, JsonObject after) => ((long)after["allocatedBytes"]! - (long)before["allocatedBytes"]!) / 1024.0;

        // Time compiling methods (the JIT tiering code up, which a warm service no longer does) or paused for GC.
        static double Ms(JsonObject before, JsonObject after, string name) => (double)after[name]! - (double)before[name]!;

        // Garbage collections by generation (0, 1, 2) during the flow.
        static IReadOnlyList<long> Collections(JsonObject before, JsonObject after) =>
            Enumerable.Range(0, 3).Select(g => (long)after["gcCollections"]![g]! - (long)before["gcCollections"]![g]!).ToList();
    }
}
