using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DaprSaga.Contracts;
using DaprSaga.TestSidecar;

namespace DaprSaga.Bench.Hosts;

/// <summary>
/// The sidecar process: one testbed (broker, state stores, workflow backend) with a test sidecar
/// per app, plus one for the hop floor's echo app, under the scopes of the component files.
/// It watches the terminal order topics and reports each order's first terminal event at once.
/// </summary>
public static class SidecarHost
{
    public const string EchoAppId = "bench-echo";

    private static readonly string[] TerminalTopics = [Topics.OrderCompleted, Topics.OrderCancelled];

    public static async Task RunAsync()
    {
        using var channel = new ControlChannel();
        await using var testbed = new Testbed();
        testbed.PubSub(Components.PubSub, ComponentFiles.PubSubMetadata());
        var sidecars = new Dictionary<string, Sidecar>();
        foreach (var appId in AppIds.All)
        {
            // As `dapr run -f .` starts daprd: the stores of the component files (order-process-service's
            // is its actor store, which Dapr Workflow needs) and the configuration's workflow limits.
            sidecars[appId] = await testbed.StartSidecarAsync(new SidecarOptions(appId)
            {
                PubSubs = [Components.PubSub],
                Bindings = Components.BindingsOf[appId],
            }.WithComponentStateStores().WithConfigurationWorkflowLimits());
        }
        sidecars[EchoAppId] = await testbed.StartSidecarAsync(new SidecarOptions(EchoAppId));

        using var stopWatching = new CancellationTokenSource();
        var watching = WatchTerminalEventsAsync(testbed, channel, stopWatching.Token);
        // The recovery passes, expiry tick and outbox sweep run on their real schedules, so their
        // cost is part of what is measured, as it would be under daprd.
        var schedules = ComponentFiles.CronSchedules();
        var crons = sidecars.Values
            .SelectMany(s => s.Options.Bindings.Select(binding => FireOnScheduleAsync(s, binding, schedules[binding], stopWatching.Token)))
            .ToList();

        var endpoints = new JsonObject();
        foreach (var (appId, sidecar) in sidecars)
            endpoints[appId] = new JsonObject { ["grpc"] = sidecar.GrpcEndpoint.ToString(), ["http"] = sidecar.HttpEndpoint.ToString() };
        channel.Reply(new JsonObject { ["sidecars"] = endpoints, ["pid"] = Environment.ProcessId });

        await channel.ServeAsync(async (command, args) =>
        {
            switch (command)
            {
                case "attach":
                    await sidecars[(string)args["appId"]!].AttachAppAsync(new Uri((string)args["uri"]!));
                    return [];
                case "idle":
                    await testbed.WaitForIdleAsync(TimeSpan.FromMilliseconds((double)args["timeoutMs"]!));
                    return [];
                case "memory":
                    var memory = ControlChannel.MemoryAfterCollection();
                    var stores = AppIds.All.Select(a => testbed.StateStore(Components.StoreOf[a]).Snapshot()).ToList();
                    memory["storedKeys"] = stores.Sum(s => s.Count);
                    memory["storedBytes"] = stores.Sum(s => s.Values.Sum(v => (long)v.Length));
                    // The largest record bounds the largest message the services read and write.
                    var largest = stores.SelectMany(s => s).MaxBy(p => p.Value.Length);
                    memory["largestKey"] = largest.Key;
                    memory["largestBytes"] = largest.Value?.Length ?? 0;
                    return memory;
                case "stats":
                    var stats = ControlChannel.ProcessStats();
                    var calls = new JsonObject();
                    var keys = new JsonObject();
                    foreach (var (appId, sidecar) in sidecars)
                    {
                        var byFamily = new JsonObject();
                        foreach (var (family, count) in sidecar.Calls.ByKeyFamily()) byFamily[family] = count;
                        keys[appId] = byFamily;
                        var byKind = new JsonObject();
                        foreach (var (kind, count) in sidecar.Calls.Snapshot()) byKind[kind.ToString()] = count;
                        calls[appId] = byKind;
                    }
                    stats["calls"] = calls;
                    stats["keys"] = keys;
                    stats["redeliveries"] = testbed.Redeliveries;
                    stats["deadLettered"] = testbed.DeadLettered;
                    stats["dropped"] = testbed.Dropped;
                    return stats;
                default:
                    throw new InvalidOperationException($"unknown command {command}");
            }
        });
        await stopWatching.CancelAsync();
        await watching;
        await Task.WhenAll(crons);
    }

    /// <summary>
    /// Fires one cron binding every <paramref name="period"/>, one run at a time here (every pass
    /// is idempotent, so daprd starting a tick while the last one runs would change nothing). A
    /// failed run is the app's to report; the benchmark's verification sees its effect.
    /// </summary>
    private static async Task FireOnScheduleAsync(Sidecar sidecar, string binding, TimeSpan period, CancellationToken stop)
    {
        using var tick = new PeriodicTimer(period);
        try
        {
            while (await tick.WaitForNextTickAsync(stop))
            {
                try
                {
                    await sidecar.TriggerBindingAsync(binding, stop);
                }
                catch (HttpRequestException)
                {
                    // The app is not up yet, or is stopping.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Polls the broker's record of the two terminal topics and writes "T {timestamp} {topic} {orderId}"
    /// for each order's first terminal event. The timestamp is Stopwatch ticks: the OS monotonic
    /// clock, the same in the driver process. Polling every millisecond costs this process a
    /// little CPU (counted as sidecar CPU; a poll copies only what is new).
    /// </summary>
    private static async Task WatchTerminalEventsAsync(Testbed testbed, ControlChannel channel, CancellationToken stop)
    {
        var pubsub = testbed.PubSub(Components.PubSub);
        var seenCount = new int[TerminalTopics.Length];
        var reported = new HashSet<string>(StringComparer.Ordinal);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        try
        {
            while (await tick.WaitForNextTickAsync(stop))
            {
                for (var t = 0; t < TerminalTopics.Length; t++)
                {
                    var published = pubsub.PublishedAfter(TerminalTopics[t], seenCount[t]);
                    if (published.Count == 0) continue;
                    var now = Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture);
                    foreach (var message in published)
                    {
                        var orderId = (string?)message.Envelope["data"]?["orderId"];
                        if (orderId is not null && reported.Add(orderId)) channel.WriteLine($"T {now} {TerminalTopics[t]} {orderId}");
                    }
                    seenCount[t] += published.Count;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
