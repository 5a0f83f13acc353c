using System.Text.Json;
using System.Text.Json.Serialization;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// camelCase JSON with enums as PascalCase strings (read case-insensitively), for HTTP and
    /// for DaprClient alike, so events and resources look the same on every wire.
    /// </summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateJsonOptions();

    private static JsonSerializerOptions CreateJsonOptions()
    {
        // Missing or null required members fail deserialization, so a malformed message or body
        // is refused instead of half-read.
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
        // AddDaprClient reads DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT / DAPR_API_TOKEN from
        // IConfiguration before the environment, so several apps can share one test process.
        builder.Services.AddDaprClient(client => client.UseJsonSerializationOptions(JsonOptions));
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonOptions.PropertyNamingPolicy;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            o.SerializerOptions.RespectNullableAnnotations = true;
            o.SerializerOptions.RespectRequiredConstructorParameters = true;
        });
        builder.Services.AddProblemDetails();
        // A body that does not parse is the client's fault: 400 ProblemDetails, not an exception
        // (in Development minimal APIs throw, which the exception handler would make a 500).
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        builder.Services.AddHealthChecks();
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
        // Authorization needs the endpoint, which the implicit UseRouting at the pipeline's start
        // has chosen by now; an unauthenticated call is refused before its body is read.
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRequestBodyLimit();
        // Unwraps application/cloudevents+json so handlers bind the event's data directly.
        app.UseCloudEvents();
        app.MapSubscribeHandler().RequireDaprAppToken();
        app.MapEventSubscriptions();
        app.MapDeadLetters();
        app.MapScheduledPasses();
        app.MapHealthChecks("/healthz");
        app.UseSwagger();
        app.UseSwaggerUI();
        DaprAppToken.WarnIfNotConfigured(app);
        return app;
    }
}
