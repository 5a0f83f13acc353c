using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using HdrHistogram;

namespace DaprSaga.Bench.Driver;

/// <summary>Runs each flow on a fresh cluster, measures, verifies, and reports.</summary>
public static class Bench
{
    private static readonly TimeSpan SagaDeadline = TimeSpan.FromMinutes(5);

    // POST /orders knows no engine member: the choreography's body leaves it out.
    private static readonly JsonSerializerOptions IgnoreNulls = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var results = new List<FlowResult>();
        Console.WriteLine($"DaprSaga benchmark: {options.Sagas} sagas per flow (+{options.Warmup} warm-up), concurrency {options.Concurrency}, " +
            $"{Environment.ProcessorCount} cores, .NET {Environment.Version}");
        foreach (var flow in options.Flows)
        {
            var result = await RunFlowAsync(flow, options);
            results.Add(result);
            Report.PrintFlow(result);
        }
        Report.PrintSummary(results);
        if (options.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, Report.Json(options, results));
            Console.WriteLine($"JSON written to {path}");
        }
        var failed = results.Where(r => r.Mismatches.Count > 0).ToList();
        if (failed.Count == 0) return 0;
        foreach (var r in failed)
        {
            Console.Error.WriteLine($"{r.Flow}: {r.Mismatches.Count} mismatch(es); first ones:");
            foreach (var m in r.Mismatches.Take(10)) Console.Error.WriteLine("  " + m);
        }
        return 1;
    }

    private static async Task<FlowResult> RunFlowAsync(BenchFlow flow, BenchOptions options)
    {
        Console.WriteLine();
        Console.WriteLine($"== {flow}: starting the sidecar and services processes");
        await using var cluster = await Cluster.StartAsync();
        var workload = new Workload(options.Warmup + options.Sagas + options.PacedSagas + options.SoakSagas);
        var customers = await SetUpAsync(cluster, workload);

        var warmup = workload.Sagas.Take(options.Warmup).ToList();
        var measured = workload.Sagas.Skip(options.Warmup).Take(options.Sagas).ToList();
        var paced = workload.Sagas.Skip(options.Warmup + options.Sagas).Take(options.PacedSagas).ToList();
        var soak = workload.Sagas.Skip(options.Warmup + options.Sagas + options.PacedSagas).ToList();
        var orderIds = new string[workload.Sagas.Count];
        Console.WriteLine($"   warm-up: {warmup.Count} sagas");
        await DriveAsync(cluster, flow, warmup, customers, options.Concurrency, interval: null, orderIds, progress: null);
        var (sidecarsBefore, appsBefore) = await cluster.QuiesceAsync(TimeSpan.FromSeconds(60));
        var driverCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;

        Console.WriteLine($"   measuring: {measured.Count} sagas at concurrency {options.Concurrency}");
        using var progress = new ProgressBar(measured.Count, () => cluster.Tracker.TerminalCount - warmup.Count);
        var (latencies, firstPlaced, lastEnded) = await DriveAsync(cluster, flow, measured, customers, options.Concurrency, interval: null, orderIds, progress);
        progress.Finish();
        var (sidecarsAfter, appsAfter) = await cluster.QuiesceAsync(TimeSpan.FromSeconds(60));
        var driverCpu = Process.GetCurrentProcess().TotalProcessorTime - driverCpuBefore;

        // Latency without queueing: sagas arriving at a steady half of the peak rate (open loop).
        var peak = measured.Count / Stopwatch.GetElapsedTime(firstPlaced, lastEnded).TotalSeconds;
        var pacedRate = peak / 2;
        LongHistogram? pacedLatencies = null;
        PacedCost? pacedCost = null;
        if (paced.Count > 0)
        {
            Console.WriteLine($"   paced: {paced.Count} sagas arriving at {pacedRate:0.0} sagas/s (half the peak)");
            using var pacedProgress = new ProgressBar(paced.Count, () => cluster.Tracker.TerminalCount - warmup.Count - measured.Count);
            (pacedLatencies, _, _) = await DriveAsync(
                cluster, flow, paced, customers, int.MaxValue, TimeSpan.FromSeconds(1 / pacedRate), orderIds, pacedProgress);
            pacedProgress.Finish();
            var (sidecarsPaced, appsPaced) = await cluster.QuiesceAsync(TimeSpan.FromSeconds(60));
            pacedCost = new PacedCost(
                CpuMs(appsAfter, appsPaced) / paced.Count, CpuMs(sidecarsAfter, sidecarsPaced) / paced.Count,
                (double)(Cluster.TotalCalls(sidecarsPaced) - Cluster.TotalCalls(sidecarsAfter)) / paced.Count);
        }

        var soakSamples = new List<SoakSample>();
        if (soak.Count > 0)
        {
            Console.WriteLine($"   soak: {soak.Count} sagas arriving at {pacedRate:0.0} sagas/s, sampled ten times (services pid {cluster.Apps.ProcessId})");
            soakSamples.Add(await SampleAsync(cluster, 0, options.SoakDumps));
            var chunk = (soak.Count + 9) / 10;
            for (var done = 0; done < soak.Count; done += chunk)
            {
                var part = soak.Skip(done).Take(chunk).ToList();
                await DriveAsync(cluster, flow, part, customers, int.MaxValue, TimeSpan.FromSeconds(1 / pacedRate), orderIds, progress: null);
                await cluster.QuiesceAsync(TimeSpan.FromSeconds(60));
                soakSamples.Add(await SampleAsync(cluster, done + part.Count, options.SoakDumps));
                Console.WriteLine($"     {soakSamples[^1].Sagas} of {soak.Count}");
            }
        }

        Console.WriteLine($"   hop floor: {options.HopDuration.TotalSeconds:0.#} s of app → sidecar → app at concurrency {options.Concurrency}, after as long a warm-up");
        var hop = await MeasureHopFloorAsync(cluster, options);

        Console.WriteLine("   verifying every saga and every resource");
        var mismatches = await Verifier.VerifyAsync(cluster, flow, workload, orderIds, customers);

        var elapsed = Stopwatch.GetElapsedTime(firstPlaced, lastEnded);
        var result = FlowResult.From(flow, measured.Count, options.Concurrency, elapsed, latencies,
            sidecarsBefore, sidecarsAfter, appsBefore, appsAfter, driverCpu, hop, mismatches,
            measured.GroupBy(s => s.Outcome).ToDictionary(g => g.Key, g => g.Count()),
            paced.Count, pacedRate, pacedLatencies);
        return result with { Soak = soakSamples, PacedCost = pacedCost };
    }

    private static async Task<SoakSample> SampleAsync(Cluster cluster, int sagas, string? dumps)
    {
        var apps = await cluster.Apps.SendAsync("memory");
        var sidecars = await cluster.Sidecars.SendAsync("memory");
        static double Mb(JsonNode? bytes) => (long)bytes! / 1048576.0;
        var c = CultureInfo.InvariantCulture;
        var generations = string.Join(" / ", apps["generations"]!.AsArray().Select(g => Mb(g![0]).ToString("0.0", c)));
        Console.WriteLine(string.Create(c,
            $"     services at {sagas}: live {Mb(apps["liveBytes"]):0.0} MB (gen0/1/2/LOH/POH {generations}), in ArrayPool.Shared {Mb(apps["pooledBytes"]):0.0} ({apps["pooledArrays"]} arrays), fragmented {Mb(apps["fragmentedBytes"]):0.0}, " +
            $"committed {Mb(apps["committedBytes"]):0.0}, working set {Mb(apps["workingSetBytes"]):0.0}, {apps["pinnedObjects"]} pinned, {apps["threads"]} threads; " +
            $"largest stored value {(long)sidecars["largestBytes"]! / 1024.0:0} KB ({sidecars["largestKey"]})"));
        if (apps["rents"] is JsonArray rents) foreach (var r in rents) Console.WriteLine("       " + r);
        if (dumps is not null) await GcDumpAsync(cluster.Apps.ProcessId, Path.Combine(dumps, $"services-{sagas}.gcdump"));
        return new SoakSample(sagas, Mb(apps["heapBytes"]), Mb(apps["pooledBytes"]), Mb(sidecars["heapBytes"]), (long)sidecars["storedKeys"]!, (long)sidecars["storedBytes"]!);
    }

    /// <summary>A dotnet-gcdump of a process (the tool on the PATH or in ~/.dotnet/tools), for type statistics between samples.</summary>
    private static async Task GcDumpAsync(int processId, string file)
    {
        var tools = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-gcdump");
        var start = new ProcessStartInfo(File.Exists(tools) ? tools : "dotnet-gcdump") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "collect", "-p", processId.ToString(CultureInfo.InvariantCulture), "-o", file }) start.ArgumentList.Add(arg);
        using var tool = Process.Start(start)!;
        var said = await tool.StandardError.ReadToEndAsync() + await tool.StandardOutput.ReadToEndAsync();
        await tool.WaitForExitAsync();
        if (tool.ExitCode != 0) Console.Error.WriteLine($"dotnet-gcdump failed: {said}");
    }

    /// <summary>Products, customers and couriers of the benchmark's own, sized for every saga of the run.</summary>
    private static async Task<string[]> SetUpAsync(Cluster cluster, Workload workload)
    {
        for (var k = 0; k < Workload.ProductCount; k++)
        {
            await PutAsync(cluster.Inventory, $"/products/{Workload.ProductId(k)}",
                new { name = $"Bench product {k}", price = Workload.PriceOf(k), onHand = workload.InitialStock[Workload.ProductId(k)] });
        }
        await PutAsync(cluster.Inventory, $"/products/{Workload.EmptyProduct}", new { name = "Bench sold out", price = Workload.EmptyProductPrice, onHand = 0 });
        for (var k = 0; k < workload.CourierCount; k++)
        {
            await PutAsync(cluster.Delivery, $"/couriers/{Workload.CourierId(k)}",
                new { name = $"Bench courier {k}", zone = Workload.Zone, capacity = workload.CourierCapacity });
        }
        var customers = new string[workload.CustomerCount];
        for (var c = 0; c < customers.Length; c++)
        {
            var credit = workload.CreditOf(c).Initial;
            using var response = await cluster.Payment.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), new { name = $"Bench customer {c}", credit });
            if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"POST /customers answered {(int)response.StatusCode}");
            customers[c] = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["customerId"]!;
        }
        return customers;
    }

    private static async Task PutAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PutAsJsonAsync(new Uri(path, UriKind.Relative), body);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"PUT {path} answered {(int)response.StatusCode}");
    }

    public static string CustomerOf(SagaPlan saga, string[] customers) => customers[saga.CustomerSlot];

    /// <summary>
    /// Places the sagas, never more than <paramref name="concurrency"/> unfinished at a time and,
    /// given an <paramref name="interval"/>, one per interval on a fixed schedule; waits until each
    /// has ended; records placement-to-terminal latency in microseconds.
    /// </summary>
    private static async Task<(LongHistogram Latencies, long FirstPlaced, long LastEnded)> DriveAsync(
        Cluster cluster, BenchFlow flow, List<SagaPlan> sagas, string[] customers, int concurrency, TimeSpan? interval,
        string[] orderIds, ProgressBar? progress)
    {
        var latencies = new LongHistogram(TimeSpan.FromMinutes(10).Ticks / 10, 3);
        using var slots = new SemaphoreSlim(concurrency);
        var running = new List<Task<TerminalTracker.Entry>>(sagas.Count);
        var firstPlaced = Stopwatch.GetTimestamp();
        var (client, path) = flow == BenchFlow.Choreography ? (cluster.Order, "/orders") : (cluster.Process, "/order-processes");
        // Named on every orchestrated saga: the service's default engine may change under the benchmark.
        var engine = flow switch { BenchFlow.Runner => "runner", BenchFlow.Workflow => "workflow", _ => null };
        for (var i = 0; i < sagas.Count; i++)
        {
            // The schedule of an open-loop load: arrivals do not wait for earlier sagas to end.
            if (interval is { } every && every * i - Stopwatch.GetElapsedTime(firstPlaced) is { Ticks: > 0 } early) await Task.Delay(early);
            var saga = sagas[i];
            await slots.WaitAsync();
            running.Add(PlaceAndAwaitAsync(saga));
        }
        var ended = await Task.WhenAll(running).WaitAsync(SagaDeadline);
        foreach (var entry in ended) latencies.RecordValue((long)Stopwatch.GetElapsedTime(entry.PlacedAt, entry.EndedAt).TotalMicroseconds);
        return (latencies, firstPlaced, ended.Max(e => e.EndedAt));

        async Task<TerminalTracker.Entry> PlaceAndAwaitAsync(SagaPlan saga)
        {
            try
            {
                var placedAt = Stopwatch.GetTimestamp();
                using var response = await client.PostAsJsonAsync(new Uri(path, UriKind.Relative), new
                {
                    customerId = CustomerOf(saga, customers),
                    items = saga.Items.Select(i => new { productId = i.ProductId, quantity = i.Quantity, unitPrice = i.UnitPrice }),
                    deliveryZone = saga.Zone,
                    autoConfirmPayment = true,
                    engine,
                }, IgnoreNulls);
                if (response.StatusCode != HttpStatusCode.Accepted)
                    throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                var orderId = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["orderId"]!;
                orderIds[saga.Index] = orderId;
                var entry = cluster.Tracker.Placed(orderId, placedAt);
                await entry.Done.Task.WaitAsync(SagaDeadline);
                return entry;
            }
            finally
            {
                slots.Release();
            }
        }
    }

    private static async Task<HopFloorResult> MeasureHopFloorAsync(Cluster cluster, BenchOptions options)
    {
        var run = new JsonObject { ["concurrency"] = options.Concurrency, ["durationMs"] = options.HopDuration.TotalMilliseconds };
        // Warmed up as the flow was: its first run JIT-compiles the echo app's and the invoke path's code.
        await cluster.Apps.SendAsync("hop", run.DeepClone().AsObject());
        var sidecarsBefore = await cluster.Sidecars.SendAsync("stats");
        var appsBefore = await cluster.Apps.SendAsync("stats");
        var hop = await cluster.Apps.SendAsync("hop", run);
        var sidecarsAfter = await cluster.Sidecars.SendAsync("stats");
        var appsAfter = await cluster.Apps.SendAsync("stats");
        var hops = (long)hop["hops"]!;
        var seconds = (double)hop["elapsedMs"]! / 1000;
        return new HopFloorResult(
            hops, (long)hop["failed"]!, hops / seconds, options.Concurrency,
            CpuMs(appsBefore, appsAfter) / hops, CpuMs(sidecarsBefore, sidecarsAfter) / hops);
    }

    public static double CpuMs(JsonObject before, JsonObject after) => (double)after["cpuMs"]! - (double)before["cpuMs"]!;
}
