using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DaprSaga.TestSidecar.PubSub;

/// <summary>
/// The envelope daprd wraps a published message in, built once at publish time so its id is
/// stable across redeliveries. Fields and defaults follow components-contrib
/// `pubsub/envelope.go` (NewCloudEventsEnvelope, FromCloudEvent) and dapr
/// `pkg/runtime/pubsub/cloudevents.go` (NewCloudEvent: `cloudevent.*` metadata overrides;
/// topic, pubsubname and datacontenttype cannot be overridden; traceparent wins over traceid).
/// </summary>
public sealed class CloudEvent
{
    private CloudEvent(JsonObject envelope)
    {
        Envelope = envelope;
        Body = JsonSerializer.SerializeToUtf8Bytes(envelope);
    }

    public JsonObject Envelope { get; }

    /// <summary>The serialized envelope, exactly as POSTed to the app.</summary>
    public byte[] Body { get; }

    public string Id => (string)Envelope["id"]!;
    public string Topic => (string)Envelope["topic"]!;
    public string PubsubName => (string)Envelope["pubsubname"]!;
    public string? TraceParent => (string?)Envelope["traceparent"];
    public string? TraceState => (string?)Envelope["tracestate"];

    public static CloudEvent FromPublish(
        string appId, string pubsubName, string topic, byte[] data, string dataContentType,
        IDictionary<string, string> metadata, string? callerTraceParent, TimeProvider time)
    {
        var traceParent = ChildTraceParent(callerTraceParent);
        var now = time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture);

        if (dataContentType.StartsWith("application/cloudevents+json", StringComparison.OrdinalIgnoreCase))
        {
            // FromCloudEvent: the app's own envelope, completed and pinned to this topic.
            var existing = JsonNode.Parse(data)?.AsObject()
                ?? throw new JsonException("cloud event data is not a JSON object");
            existing.TryAdd("time", now);
            if (!existing.ContainsKey("traceid"))
            {
                existing["traceid"] = traceParent;
                existing["traceparent"] = traceParent;
            }
            existing.TryAdd("tracestate", "");
            existing["topic"] = topic;
            existing["pubsubname"] = pubsubName;
            existing.TryAdd("source", "Dapr");
            existing.TryAdd("type", "com.dapr.event.sent");
            existing.TryAdd("specversion", "1.0");
            return new CloudEvent(existing);
        }

        string? Override(string field) =>
            metadata.FirstOrDefault(kv => string.Equals(kv.Key, $"cloudevent.{field}", StringComparison.OrdinalIgnoreCase)).Value;

        var contentType = dataContentType.Length == 0 ? "text/plain" : dataContentType;
        var traceId = Override("traceparent") ?? Override("traceid") ?? traceParent;
        var envelope = new JsonObject
        {
            ["id"] = Override("id") ?? Guid.NewGuid().ToString(),
            ["specversion"] = "1.0",
            ["datacontenttype"] = contentType,
            ["source"] = Override("source") ?? appId,
            ["type"] = Override("type") ?? "com.dapr.event.sent",
            ["topic"] = topic,
            ["pubsubname"] = pubsubName,
            ["traceid"] = traceId,
            ["traceparent"] = traceId,
            ["tracestate"] = Override("tracestate") ?? "",
            ["time"] = now,
        };
        if (IsJson(contentType))
        {
            // A body that is not valid JSON is sent as a string (envelope.go: unmarshal error → string(data)).
            try { envelope["data"] = JsonNode.Parse(data); }
            catch (JsonException) { envelope["data"] = System.Text.Encoding.UTF8.GetString(data); }
        }
        else if (contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            envelope["data_base64"] = Convert.ToBase64String(data);
        }
        else
        {
            envelope["data"] = System.Text.Encoding.UTF8.GetString(data);
        }
        if (Override("subject") is { Length: > 0 } subject) envelope["subject"] = subject;
        return new CloudEvent(envelope);
    }

    /// <summary>An envelope received as-is, e.g. one an app replays or a test writes by hand.</summary>
    public static CloudEvent FromEnvelope(JsonObject envelope) => new(envelope);

    /// <summary>contenttype.IsJSONContentType: application/json or any +json type.</summary>
    private static bool IsJson(string contentType)
    {
        var media = contentType.Split(';')[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>daprd starts a span for the publish: a child of the caller's trace, or a new trace.</summary>
    private static string ChildTraceParent(string? parent)
    {
        var spanId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var parts = parent?.Split('-');
        var traceId = parts is { Length: 4 } && parts[1].Length == 32
            ? parts[1]
            : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return $"00-{traceId}-{spanId}-01";
    }
}
