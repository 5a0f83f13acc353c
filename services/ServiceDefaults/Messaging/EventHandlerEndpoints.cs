using System.Text.Json;
using Dapr;
using DaprSaga.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>What a subscription handler decided; mapped to the answer daprd understands.</summary>
public enum HandlerOutcome
{
    /// <summary>Handled (or already handled): acknowledge.</summary>
    Done,
    /// <summary>Transient trouble, or the event came before what it depends on: deliver again.</summary>
    Retry,
    /// <summary>Poison: never going to work; to the dead-letter topic.</summary>
    Drop,
}

public static class EventHandlerEndpoints
{
    // dapr `pkg/runtime/subscription/postman/http/http.go`: SUCCESS acks, RETRY retries, DROP drops.
    private static readonly IResult Success = Results.Ok();
    private static readonly IResult RetryAnswer = Results.Json(new { status = "RETRY" });
    private static readonly IResult DropAnswer = Results.Json(new { status = "DROP" });

    /// <summary>
    /// Subscribes <paramref name="handle"/> to the event's topic, dead-lettering to this app's own
    /// topic. A body that is not a valid event is dropped (never 400, which daprd would retry
    /// forever, nor 404, which it drops silently); an exception is retried.
    /// </summary>
    public static RouteHandlerBuilder MapEventHandler<TEvent>(
        this IEndpointRouteBuilder endpoints,
        Func<TEvent, IServiceProvider, CancellationToken, Task<HandlerOutcome>> handle)
        where TEvent : class, IIntegrationEvent
    {
        var appId = endpoints.ServiceProvider.GetRequiredService<ServiceIdentity>().AppId;
        return endpoints.MapPost($"/events/{TEvent.Topic}", async (HttpContext http) =>
        {
            JsonElement data;
            try
            {
                data = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body, ServiceDefaultsExtensions.JsonOptions, http.RequestAborted);
            }
            catch (JsonException e)
            {
                LoggerOf<TEvent>(http.RequestServices).LogWarning(e, "Dropping a {Topic} event that is not JSON", TEvent.Topic);
                return DropAnswer;
            }
            return (await HandleAsync(data, handle, http.RequestServices, http.RequestAborted)).Outcome switch
            {
                HandlerOutcome.Done => Success,
                HandlerOutcome.Drop => DropAnswer,
                _ => RetryAnswer,
            };
        })
        .WithTopic(new TopicOptions { PubsubName = Components.PubSub, Name = TEvent.Topic, DeadLetterTopic = Topics.DeadLetters(appId) })
        .RequireDaprAppToken()
        .WithMetadata(new ReplayableEventHandler(TEvent.Topic, (data, services, cancellationToken) => HandleAsync(data, handle, services, cancellationToken)))
        .ExcludeFromDescription();
    }

    /// <summary>Decodes and checks the event, then runs the handler: shared by deliveries and dead-letter replays.</summary>
    private static async Task<HandlerVerdict> HandleAsync<TEvent>(
        JsonElement data,
        Func<TEvent, IServiceProvider, CancellationToken, Task<HandlerOutcome>> handle,
        IServiceProvider services,
        CancellationToken cancellationToken)
        where TEvent : class, IIntegrationEvent
    {
        var log = LoggerOf<TEvent>(services);
        TEvent? received;
        try
        {
            received = data.Deserialize<TEvent>(ServiceDefaultsExtensions.JsonOptions);
        }
        catch (JsonException e)
        {
            log.LogWarning(e, "Dropping a malformed {Topic} event", TEvent.Topic);
            return new(HandlerOutcome.Drop, $"malformed {TEvent.Topic} event: {e.Message}");
        }
        if (received is null || string.IsNullOrWhiteSpace(received.OrderId) || !Enum.IsDefined(received.Flow))
        {
            log.LogWarning("Dropping a {Topic} event without order id or flow", TEvent.Topic);
            return new(HandlerOutcome.Drop, $"{TEvent.Topic} event without order id or flow");
        }
        try
        {
            var outcome = await handle(received, services, cancellationToken);
            return new(outcome, outcome == HandlerOutcome.Drop ? $"the {TEvent.Topic} handler dropped the event for order {received.OrderId}" : null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never swallow: daprd must deliver it again.
            log.LogWarning(e, "Retrying {Topic} for order {OrderId}", TEvent.Topic, received.OrderId);
            return new(HandlerOutcome.Retry, e.Message);
        }
    }

    private static ILogger LoggerOf<TEvent>(IServiceProvider services)
        where TEvent : IIntegrationEvent =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger("DaprSaga.Events." + TEvent.Topic);
}
