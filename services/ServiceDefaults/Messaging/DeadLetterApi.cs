using System.Text.Json;
using Dapr;
using DaprSaga.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>This app's dead letters: stored from its own dead-letter topic, listed, and replayed through its handler.</summary>
public static class DeadLetterApi
{
    public static string SubscriptionPath(string appId) => $"/events/{Topics.DeadLetters(appId)}";

    /// <summary>Registers the dead-letter store and the envelope capture (which must precede the CloudEvents middleware).</summary>
    internal static IServiceCollection AddDeadLetters(this IServiceCollection services)
    {
        services.AddSingleton<DeadLetterStore>();
        services.AddTransient<IStartupFilter, DeadLetterEnvelopeCapture>();
        return services;
    }

    internal static RouteGroupBuilder MapDeadLetters(this IEndpointRouteBuilder endpoints)
    {
        var appId = endpoints.ServiceProvider.GetRequiredService<ServiceIdentity>().AppId;

        // No dead-letter topic of its own: a dead letter that cannot be stored is retried, never looped back here.
        endpoints.MapPost(SubscriptionPath(appId), StoreArrivalAsync)
            .WithTopic(new TopicOptions { PubsubName = Components.PubSub, Name = Topics.DeadLetters(appId) })
            .RequireDaprAppToken()
            .ExcludeFromDescription();

        var group = endpoints.MapGroup("/dead-letters").WithTags("Dead letters");
        group.MapGet("/", ListAsync);
        group.MapGet("/{id}", GetAsync);
        group.MapPost("/{id}/replay", ReplayAsync);
        return group;
    }

    private static async Task<IResult> StoreArrivalAsync(HttpContext http, DeadLetterStore store, TimeProvider time, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("DaprSaga.DeadLetters");
        var captured = http.Features.Get<CapturedCloudEvent>()
            ?? throw new InvalidOperationException("the dead-letter envelope was not captured");
        DeadLetter deadLetter;
        try
        {
            deadLetter = DeadLetter.FromEnvelope(captured.Envelope, time.GetUtcNow());
        }
        catch (JsonException e)
        {
            // Not a CloudEvent at all: nothing to store or replay; acknowledged so it stops coming.
            log.LogWarning(e, "Ignoring a dead letter that is not a CloudEvent envelope");
            return Results.Ok();
        }
        // Idempotent: a redelivered dead letter finds its record and changes nothing.
        var stored = await store.AddAsync(deadLetter, http.RequestAborted);
        if (stored.Changed) log.LogWarning("Stored dead letter {Id} from topic {Topic}", deadLetter.Id, deadLetter.Topic);
        return Results.Ok();
    }

    private static async Task<Ok<IReadOnlyList<DeadLetter>>> ListAsync(string? topic, DeadLetterStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(topic, cancellationToken));

    private static async Task<Results<Ok<DeadLetter>, NotFound>> GetAsync(string id, DeadLetterStore store, CancellationToken cancellationToken) =>
        DeadLetter.IsValidId(id) && await store.GetAsync(id, cancellationToken) is { } deadLetter ? TypedResults.Ok(deadLetter) : TypedResults.NotFound();

    // In process, never republished: the topic may belong to another app. Handlers are idempotent, so a replay is safe.
    private static async Task<Results<Ok<DeadLetter>, NotFound, ProblemHttpResult>> ReplayAsync(
        string id, HttpContext http, DeadLetterStore store, IEnumerable<EventSubscription> subscriptions, TimeProvider time)
    {
        var cancellationToken = http.RequestAborted;
        if (!DeadLetter.IsValidId(id) || await store.GetAsync(id, cancellationToken) is not { } deadLetter) return TypedResults.NotFound();

        var handler = subscriptions.FirstOrDefault(s => s.Topic == deadLetter.Topic);
        var data = deadLetter.Data ?? JsonSerializer.SerializeToElement<object?>(null);
        var verdict = handler is null
            ? new HandlerVerdict(HandlerOutcome.Drop, $"this app has no handler for topic '{deadLetter.Topic}'")
            : await handler.HandleAsync(data, http.RequestServices, cancellationToken);

        var replayed = await store.RecordReplayAsync(id, verdict, time.GetUtcNow(), cancellationToken);
        if (replayed is null) return TypedResults.NotFound();
        if (verdict.Outcome != HandlerOutcome.Drop) return TypedResults.Ok(replayed);
        return TypedResults.Problem(
            detail: verdict.Detail,
            statusCode: StatusCodes.Status409Conflict,
            extensions: new Dictionary<string, object?> { ["outcome"] = nameof(HandlerOutcome.Drop), ["replayCount"] = replayed.ReplayCount });
    }
}
