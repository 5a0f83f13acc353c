using System.Diagnostics;
using OpenTelemetry.Trace;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Tracing listeners are process-wide, so spans of clusters in other tests running at the same
/// time would mix in: this collection runs alone.
/// </summary>
[CollectionDefinition(nameof(TracingScenarioTests), DisableParallelization = true)]
public sealed class RunsAlone;

/// <summary>One saga is one trace: the CloudEvent's traceparent carries it from service to service.</summary>
[Collection(nameof(TracingScenarioTests))]
public sealed class TracingScenarioTests
{
    [Fact]
    public async Task EveryHandlerOfOneChoreographedSagaJoinsTheTraceOfItsPlacement()
    {
        var spans = new List<Activity>();
        await using var cluster = await SagaCluster.StartAsync(
            // The apps' exporter is "none", which samples nothing of its own: sample everything here.
            configureServices: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans).SetSampler(new AlwaysOnSampler())));

        var id = await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await cluster.QuiesceAsync();
        Assert.Equal("Completed", (string?)(await cluster.OrderAsync(id))["status"]);

        // All five apps share this process, so each app's tracer provider sees every span: dedupe.
        Activity[] server;
        lock (spans) server = spans.Where(a => a.Kind == ActivityKind.Server).DistinctBy(a => a.SpanId).ToArray();
        var placement = Assert.Single(server, a => a.DisplayName.StartsWith("POST /orders", StringComparison.Ordinal));
        var handlers = server.Where(a => a.DisplayName.Contains("/events/", StringComparison.Ordinal)).ToArray();
        // order-placed → stock-reserved → payment-requested/confirmed → order-confirmed → delivery-scheduled → order-completed ...
        Assert.True(handlers.Length >= 8, $"only {handlers.Length} handler spans");
        Assert.All(handlers, h => Assert.Equal(placement.TraceId, h.TraceId));
        // ...through every topic of the saga, in every participant.
        Assert.True(handlers.Select(h => h.DisplayName).Distinct().Count() >= 6);
    }
}
