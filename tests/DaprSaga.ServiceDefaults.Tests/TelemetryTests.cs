using System.Diagnostics;
using OpenTelemetry.Trace;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>Exporter "none" (the default): no trace of our own, but a caller's sampled trace is joined.</summary>
[Collection(nameof(TelemetryTests))]
[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public sealed class TelemetryTests
{
    [Fact]
    public async Task WithoutAnExporterARequestStartsNoTraceButJoinsASampledOne()
    {
        var spans = new List<Activity>();
        var host = await TestHost.StartAsync(
            app => app.MapGet("/ping", () => Results.Ok()),
            configure: b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        // A client that sends the traceparent it is given (the app's HttpClient tracing would replace it).
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = host.Address };

        (await client.GetAsync(new Uri("/ping", UriKind.Relative))).EnsureSuccessStatusCode();
        var traceId = ActivityTraceId.CreateRandom();
        using var sampled = new HttpRequestMessage(HttpMethod.Get, new Uri("/ping", UriKind.Relative));
        sampled.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        (await client.SendAsync(sampled)).EnsureSuccessStatusCode();
        // Stopping the app ends its last server span, so every span is exported by now.
        await host.DisposeAsync();

        // Spans of this test's app only (listeners are process-wide): the server spans of /ping.
        Activity[] pings;
        lock (spans) pings = spans.Where(a => a.Kind == ActivityKind.Server && a.DisplayName.Contains("/ping", StringComparison.Ordinal)).ToArray();
        var joined = Assert.Single(pings);
        Assert.Equal(traceId, joined.TraceId);
    }
}
