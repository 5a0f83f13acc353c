using System.Text.Json;
using Dapr;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaprSaga.ServiceDefaults.Messaging;

public enum HandlerOutcome
{
    Done,
    Retry,
    Drop,
}

public sealed record HandlerVerdict(HandlerOutcome Outcome, string? Detail = null);

/// <summary>A reaction to one event type. Resolved per delivery (and per dead-letter replay), so it may take scoped services.</summary>
public interface IEventHandler<in TEvent> where TEvent : class, IIntegrationEvent
{
    Task<HandlerOutcome> HandleAsync(TEvent received, CancellationToken cancellationToken);
}

public sealed record EventSubscription(
    string Topic, SagaFlow? Flow, Func<JsonElement, IServiceProvider, CancellationToken, Task<HandlerVerdict>> HandleAsync);

public static class EventSubscriptions
{
    // daprd's answers (dapr pkg/runtime/subscription/postman/http): SUCCESS acks, RETRY retries, DROP dead-letters.
    private static readonly IResult Success = Results.Ok();
    private static readonly IResult RetryAnswer = Results.Json(new DeliveryAnswer("RETRY"));
    private static readonly IResult DropAnswer = Results.Json(new DeliveryAnswer("DROP"));

    private sealed record DeliveryAnswer(string Status);

    /// <summary>With a <paramref name="flow"/>, events of the other flow are acknowledged without running the handler.</summary>
    public static IServiceCollection AddSubscription<TEvent, THandler>(this IServiceCollection services, SagaFlow? flow = null)
        where TEvent : class, IIntegrationEvent
        where THandler : class, IEventHandler<TEvent>
    {
        services.TryAddScoped<THandler>();
        services.AddSingleton(new EventSubscription(TEvent.Topic, flow, (data, provider, cancellationToken) =>
            HandleAsync<TEvent>(data, flow, provider.GetRequiredService<THandler>(), provider, cancellationToken)));
        return services;
    }

    // An invalid body is dropped (a 400 would be retried forever, a 404 dropped silently); an exception is retried.
    internal static void MapEventSubscriptions(this IEndpointRouteBuilder endpoints)
    {
        var appId = endpoints.ServiceProvider.GetRequiredService<ServiceIdentity>().AppId;
        var subscriptions = endpoints.ServiceProvider.GetServices<EventSubscription>().ToList();
        if (subscriptions.GroupBy(s => s.Topic).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidOperationException($"topic '{twice.Key}' has more than one handler; Dapr delivers a topic to one route per app");
        foreach (var subscription in subscriptions)
        {
            endpoints.MapPost($"/events/{subscription.Topic}", async (HttpContext http) =>
            {
                JsonElement data;
                try
                {
                    data = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body, ServiceDefaultsExtensions.JsonOptions, http.RequestAborted);
                }
                catch (JsonException e)
                {
                    LoggerOf(http.RequestServices, subscription.Topic).LogWarning(e, "Dropping a {Topic} event that is not JSON", subscription.Topic);
                    return DropAnswer;
                }
                return (await subscription.HandleAsync(data, http.RequestServices, http.RequestAborted)).Outcome switch
                {
                    HandlerOutcome.Done => Success,
                    HandlerOutcome.Drop => DropAnswer,
                    _ => RetryAnswer,
                };
            })
            .WithTopic(new TopicOptions { PubsubName = Components.PubSub, Name = subscription.Topic, DeadLetterTopic = Topics.DeadLetters(appId) })
            .RepeatedByItsCaller()
            .RequireDaprAppToken()
            .ExcludeFromDescription();
        }
    }

    private static async Task<HandlerVerdict> HandleAsync<TEvent>(
        JsonElement data, SagaFlow? flow, IEventHandler<TEvent> handler, IServiceProvider services, CancellationToken cancellationToken)
        where TEvent : class, IIntegrationEvent
    {
        var log = LoggerOf(services, TEvent.Topic);
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
        if (received is null || !InputRules.IsId(received.OrderId) || !Enum.IsDefined(received.Flow))
        {
            log.LogWarning("Dropping a {Topic} event without a valid order id or flow", TEvent.Topic);
            return new(HandlerOutcome.Drop, $"{TEvent.Topic} event without a valid order id or flow");
        }
        if (flow is { } handled && received.Flow != handled) return new(HandlerOutcome.Done);
        // Its idempotency markers may be forgotten by now, so acting on it could act twice.
        if (received.OccurredAt < services.GetRequiredService<TimeProvider>().GetUtcNow() - services.GetRequiredService<IOptions<RetentionOptions>>().Value.Window)
        {
            log.LogWarning("Refusing {Topic} for order {OrderId}: it occurred at {OccurredAt}, before the retention window", TEvent.Topic, received.OrderId, received.OccurredAt);
            return new(HandlerOutcome.Drop, $"{TEvent.Topic} event for order {received.OrderId} is older than the retention window");
        }
        try
        {
            var outcome = await handler.HandleAsync(received, cancellationToken);
            return new(outcome, outcome == HandlerOutcome.Drop ? $"the {TEvent.Topic} handler dropped the event for order {received.OrderId}" : null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never swallow: daprd must deliver it again.
            log.LogWarning(e, "Retrying {Topic} for order {OrderId}", TEvent.Topic, received.OrderId);
            return new(HandlerOutcome.Retry, e.Message);
        }
    }

    private static ILogger LoggerOf(IServiceProvider services, string topic) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger("DaprSaga.Events." + topic);
}
