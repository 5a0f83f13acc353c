using System.Text.Json;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>What a handler decided about one event, and why when it is not plainly Done.</summary>
public sealed record HandlerVerdict(HandlerOutcome Outcome, string? Detail = null);

/// <summary>
/// Endpoint metadata MapEventHandler puts on each subscription, so a dead letter can be run again
/// through this app's own handler for its topic, in-process, with the same checks as a delivery.
/// The app's endpoints are the registry: each app finds only the handlers it mapped itself.
/// </summary>
public sealed record ReplayableEventHandler(
    string Topic,
    Func<JsonElement, IServiceProvider, CancellationToken, Task<HandlerVerdict>> HandleAsync);
