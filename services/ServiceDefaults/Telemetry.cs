using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// Tracing for every app: incoming HTTP (deliveries from the sidecar carry the CloudEvent's
/// `traceparent`, so a handler's span continues the saga's trace), outgoing HTTP (service
/// invocation) and gRPC (state and publish through the sidecar, which stamps the trace into the
/// events it publishes). One saga is therefore one trace across all services.
/// Exporter by configuration `Telemetry:Exporter`: `zipkin` (the Zipkin `dapr init` starts,
/// `Telemetry:ZipkinEndpoint`, default http://localhost:9411/api/v2/spans), `otlp` (the standard
/// OTEL_EXPORTER_OTLP_* variables) or `none` (the default, e.g. in tests), which starts no trace
/// of its own and only joins one a caller sampled.
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
                    .AddGrpcClientInstrumentation();
                if (exporter.Equals("zipkin", StringComparison.OrdinalIgnoreCase))
                {
                    var endpoint = builder.Configuration["Telemetry:ZipkinEndpoint"] ?? "http://localhost:9411/api/v2/spans";
                    // Deprecated upstream in favour of OTLP, but the Zipkin that `dapr init` runs
                    // takes only Zipkin's own format; OTLP users pick `otlp`.
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
                    // Nothing is exported, so start no trace of our own (building spans costs CPU on
                    // every call), but join one a caller sampled, e.g. a daprd tracing by itself.
                    tracing.SetSampler(new ParentBasedSampler(new AlwaysOffSampler()));
                }
            });
        return builder;
    }
}
