using System.Text.Json;

namespace DaprSaga.TestSidecar.PubSub;

/// <summary>
/// One entry of the app's `GET /dapr/subscribe` answer, as dapr `pkg/runtime/pubsub/subscriptions.go`
/// reads it: keys match case-insensitively (Go's encoding/json), `route` (v1) or `routes.default`
/// (v2, which wins over `route`), optional `deadLetterTopic` and `metadata`. Routing rules
/// (`routes.rules`) are refused when the subscriptions load: no app declares them, and a sidecar
/// that ignored them would deliver to the wrong handler without a word.
/// </summary>
public sealed record Subscription(
    string PubsubName,
    string Topic,
    string Path,
    string? DeadLetterTopic,
    IReadOnlyDictionary<string, string> Metadata)
{
    private static readonly JsonSerializerOptions WireOptions = new() { PropertyNameCaseInsensitive = true };

    /// <exception cref="NotSupportedException">An entry declares routing rules.</exception>
    public static IReadOnlyList<Subscription> ParseList(string json)
    {
        var entries = JsonSerializer.Deserialize<List<Wire>>(json, WireOptions) ?? [];
        // Entries with no route at all are dropped with a warning (subscriptions.go filterSubscriptions).
        return entries.Select(ToSubscription).OfType<Subscription>().ToList();
    }

    private static Subscription? ToSubscription(Wire w)
    {
        if (string.IsNullOrEmpty(w.PubsubName) || string.IsNullOrEmpty(w.Topic))
            throw new FormatException("subscription needs pubsubname and topic");
        if (w.Routes?.Rules is { Count: > 0 })
            throw new NotSupportedException($"routing rules are not modelled by the test sidecar (topic {w.Topic})");
        var path = w.Routes?.Default is { Length: > 0 } d ? d : w.Route;
        if (string.IsNullOrEmpty(path)) return null;
        return new Subscription(
            w.PubsubName, w.Topic, Normalize(path),
            string.IsNullOrEmpty(w.DeadLetterTopic) ? null : w.DeadLetterTopic,
            w.Metadata ?? new Dictionary<string, string>());
    }

    // The .NET SDK writes routes without a leading slash; the app channel joins them under "/".
    private static string Normalize(string path) => "/" + path.TrimStart('/');

    private sealed record Wire(
        string? PubsubName, string? Topic, string? Route, WireRoutes? Routes, string? DeadLetterTopic,
        Dictionary<string, string>? Metadata);

    private sealed record WireRoutes(List<JsonElement>? Rules, string? Default);
}
