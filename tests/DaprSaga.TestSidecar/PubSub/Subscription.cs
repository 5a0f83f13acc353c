using System.Text.Json;
using System.Text.Json.Nodes;

namespace DaprSaga.TestSidecar.PubSub;

public sealed record RouteRule(RouteMatch Match, string Path);

/// <summary>
/// One entry of the app's `GET /dapr/subscribe` answer, as dapr `pkg/runtime/pubsub/subscriptions.go`
/// reads it: keys match case-insensitively (Go's encoding/json), `route` (v1) or
/// `routes.rules` + `routes.default` (v2, where `default` wins over `route`), rules in the order
/// given (first match wins), optional `deadLetterTopic` and `metadata`.
/// </summary>
public sealed record Subscription(
    string PubsubName,
    string Topic,
    IReadOnlyList<RouteRule> Rules,
    string? DefaultPath,
    string? DeadLetterTopic,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The path to POST to, or null when no rule matches and there is no default.</summary>
    public string? RouteFor(JsonObject cloudEvent) =>
        Rules.FirstOrDefault(r => r.Match.Matches(cloudEvent))?.Path ?? DefaultPath;

    private static readonly JsonSerializerOptions WireOptions = new() { PropertyNameCaseInsensitive = true };

    public static IReadOnlyList<Subscription> ParseList(string json)
    {
        var entries = JsonSerializer.Deserialize<List<Wire>>(json, WireOptions) ?? [];
        // Entries with no route at all are dropped with a warning (subscriptions.go filterSubscriptions).
        return entries.Select(ToSubscription).Where(s => s.Rules.Count > 0 || s.DefaultPath is not null).ToList();
    }

    private static Subscription ToSubscription(Wire w)
    {
        if (string.IsNullOrEmpty(w.PubsubName) || string.IsNullOrEmpty(w.Topic))
            throw new FormatException("subscription needs pubsubname and topic");
        var rules = (w.Routes?.Rules ?? [])
            .Select(r => new RouteRule(RouteMatch.Parse(r.Match ?? throw new FormatException("rule without match")), Normalize(r.Path)))
            .ToList();
        var defaultPath = w.Routes?.Default is { Length: > 0 } d ? d : w.Route;
        return new Subscription(
            w.PubsubName, w.Topic, rules,
            string.IsNullOrEmpty(defaultPath) ? null : Normalize(defaultPath),
            string.IsNullOrEmpty(w.DeadLetterTopic) ? null : w.DeadLetterTopic,
            w.Metadata ?? new Dictionary<string, string>());
    }

    // The .NET SDK writes routes without a leading slash; the app channel joins them under "/".
    private static string Normalize(string? path) => "/" + (path ?? "").TrimStart('/');

    private sealed record Wire(
        string? PubsubName, string? Topic, string? Route, WireRoutes? Routes, string? DeadLetterTopic,
        Dictionary<string, string>? Metadata);

    private sealed record WireRoutes(List<WireRule>? Rules, string? Default);

    private sealed record WireRule(string? Match, string? Path);
}
