using System.Text.Json;
using System.Text.Json.Serialization;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>camelCase JSON with enums as names, for HTTP and DaprClient alike.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateJsonOptions();

    private static JsonSerializerOptions CreateJsonOptions()
    {
        // A malformed message or body is refused instead of half-read.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string appId)
    {
        builder.Services.AddSingleton(new ServiceIdentity(appId, Components.StoreOf.GetValueOrDefault(appId, "")));
        builder.Services.AddSingleton<EventPublisher>();
        builder.Services.AddSingleton<Outbox>();
        builder.Services.AddDeadLetters();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section)
            .Validate(o => o.Window >= RetentionOptions.Shortest, $"Retention:Window must be at least {RetentionOptions.Shortest}")
            .ValidateOnStart();
        // Endpoints and token from IConfiguration first, so several apps can share one test process.
        builder.Services.AddDaprClient(client => client.UseJsonSerializationOptions(JsonOptions));
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonOptions.PropertyNamingPolicy;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            o.SerializerOptions.RespectNullableAnnotations = true;
            o.SerializerOptions.RespectRequiredConstructorParameters = true;
        });
        builder.Services.AddProblemDetails();
        // A body that does not parse is a 400, not an exception (which would become a 500 in Development).
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        builder.Services.AddExceptionHandler<SidecarUnavailable>();
        builder.Services.AddHealthChecks().AddCheck<SidecarHealthCheck>("dapr-sidecar", tags: [SidecarHealthCheck.Tag]);
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(o => o.SupportNonNullableReferenceTypes());
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddTelemetry(appId);
        builder.AddDaprAppToken();
        return builder;
    }

    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // After the implicit UseRouting: an unauthenticated call is refused before its body is read.
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRequestBodyLimit();
        // Unwraps application/cloudevents+json so handlers bind the event's data directly.
        app.UseCloudEvents();
        app.MapSubscribeHandler().RequireDaprAppToken();
        app.MapEventSubscriptions();
        app.MapDeadLetters();
        app.MapScheduledPasses();
        // Liveness, which daprd probes: the app itself, never the sidecar (that would be circular).
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(SidecarHealthCheck.Tag) });
        app.UseSwagger();
        app.UseSwaggerUI();
        DaprAppToken.WarnIfNotConfigured(app);
        return app;
    }
}
