using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapr.Client;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>An event this app's subscriptions gave up on, as daprd dead-lettered it, and what replaying it did.</summary>
public sealed partial record DeadLetter(
    string Id,
    string? Topic,
    string? Type,
    JsonElement? Data,
    DateTimeOffset ArrivedAt,
    int ReplayCount = 0,
    DateTimeOffset? LastReplayedAt = null,
    HandlerOutcome? LastReplayOutcome = null,
    string? LastReplayDetail = null)
{
    /// <summary>The id is the CloudEvent id when safe as a key, else a stable hash, so a redelivery lands on the same record.</summary>
    public static DeadLetter FromEnvelope(byte[] envelope, DateTimeOffset arrivedAt)
    {
        using var document = JsonDocument.Parse(envelope);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new JsonException("a CloudEvent envelope is a JSON object");
        string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        var cloudEventId = Text("id");
        var id = cloudEventId is not null && SafeId().IsMatch(cloudEventId) ? cloudEventId : "sha-" + Hash(cloudEventId is null ? envelope : Encoding.UTF8.GetBytes(cloudEventId));
        // Binary data travels base64-encoded in data_base64 (CloudEvents JSON format 3.1); kept as that string.
        JsonElement? data = root.TryGetProperty("data", out var json) ? json.Clone()
            : root.TryGetProperty("data_base64", out var base64) ? base64.Clone()
            : null;
        return new DeadLetter(id, Text("topic"), Text("type"), data, arrivedAt);
    }

    public static bool IsValidId(string id) => SafeId().IsMatch(id);

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..32];

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SafeId();
}

/// <summary>Dead letters in the app's own state store: one record per id, listed through a sharded index.</summary>
public sealed class DeadLetterStore(DaprClient dapr, ServiceIdentity identity)
{
    private readonly ShardedIndex _index = new(dapr, identity.StateStore, "dead-letters");

    private static string KeyOf(string id) => $"dead-letter-{id}";

    /// <summary>Idempotent: a redelivered dead letter keeps the first arrival and its replays.</summary>
    public async Task<Updated<DeadLetter>> AddAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        // Index first, so a record never exists that the listing cannot find.
        await _index.AddAsync(deadLetter.Id, cancellationToken);
        return await dapr.UpdateAsync<DeadLetter>(identity.StateStore, KeyOf(deadLetter.Id), existing => existing ?? deadLetter, cancellationToken);
    }

    public async Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken) =>
        await dapr.GetStateAsync<DeadLetter?>(identity.StateStore, KeyOf(id), cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string? topic, CancellationToken cancellationToken)
    {
        var ids = await _index.ListAsync(cancellationToken);
        var records = await dapr.ReadManyAsync<DeadLetter>(identity.StateStore, ids.Select(KeyOf), cancellationToken);
        return records.Values
            .Select(r => r.Value)
            .Where(d => topic is null || d.Topic == topic)
            .OrderByDescending(d => d.ArrivedAt)
            .ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<DeadLetter?> RecordReplayAsync(string id, HandlerVerdict verdict, DateTimeOffset at, CancellationToken cancellationToken) =>
        (await dapr.UpdateAsync<DeadLetter>(identity.StateStore, KeyOf(id), existing => existing is null ? null : existing with
        {
            ReplayCount = existing.ReplayCount + 1,
            LastReplayedAt = at,
            LastReplayOutcome = verdict.Outcome,
            LastReplayDetail = verdict.Detail,
        }, cancellationToken)).Value;
}
