using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// Incoming and outgoing HTTP and gRPC spans, so one saga is one trace across the apps and sidecars.
/// `Telemetry:Exporter`: `zipkin` (the one `dapr init` starts), `otlp`, or `none` (the default).
/// </summary>
public static class Telemetry
{
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder, string appId)
    {
        var exporter = builder.Configuration["Telemetry:Exporter"] ?? "none";
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(appId))
            .WithTracing(tracing =>
            {
                tracing
                    .AddAspNetCoreInstrumentation(o => o.Filter = http =>
                        !http.Request.Path.StartsWithSegments("/healthz") && !http.Request.Path.StartsWithSegments("/swagger"))
                    .AddHttpClientInstrumentation()
                    // One client span per Dapr call: the gRPC one, not also the HTTP/2 request beneath it.
                    .AddGrpcClientInstrumentation(o => o.SuppressDownstreamInstrumentation = true);
                if (exporter.Equals("zipkin", StringComparison.OrdinalIgnoreCase))
                {
                    var endpoint = builder.Configuration["Telemetry:ZipkinEndpoint"] ?? "http://localhost:9411/api/v2/spans";
                    // Deprecated upstream, but the Zipkin `dapr init` runs takes only its own format.
#pragma warning disable CS0618
                    tracing.AddZipkinExporter(o => o.Endpoint = new Uri(endpoint));
#pragma warning restore CS0618
                }
                else if (exporter.Equals("otlp", StringComparison.OrdinalIgnoreCase))
                {
                    tracing.AddOtlpExporter();
                }
                else
                {
                    // Nothing is exported: start no trace of our own, but join one a caller sampled.
                    tracing.SetSampler(new ParentBasedSampler(new AlwaysOffSampler()));
                }
            });
        return builder;
    }
}
