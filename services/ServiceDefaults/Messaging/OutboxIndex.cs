using System.Globalization;
using Dapr.Client;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>An outbox record's entry in the index: its key and the listing token it was entered with.</summary>
public sealed record OutboxEntry(string Key, string Token, DateTimeOffset ListedAt);

/// <summary>
/// The keys whose records may hold unsent events (Dapr state has no key listing), over fixed shards.
/// A writer lists a key with a fresh token before its first events; only the sweep unlists, and only
/// an unchanged token, so a writer that re-listed the key meanwhile keeps it listed.
/// </summary>
public sealed class OutboxIndex(DaprClient dapr, string store, TimeProvider time, int shards = 32)
{
    public string ShardOf(string key) => $"outbox-listing-{ShardedIndex.StableShard(key, shards)}";

    /// <summary>Enters <paramref name="key"/> with a fresh token and returns the token.</summary>
    public async Task<string> ListAsync(string key, CancellationToken cancellationToken = default)
    {
        // The time is only a hint for the sweep (leave fresh entries to their writers a while).
        var token = string.Create(CultureInfo.InvariantCulture, $"{time.GetUtcNow().ToUnixTimeMilliseconds()}.{Guid.NewGuid():N}");
        await dapr.UpdateAsync<Dictionary<string, string>>(store, ShardOf(key), entries =>
            new Dictionary<string, string>(entries ?? [], StringComparer.Ordinal) { [key] = token }, cancellationToken);
        return token;
    }

    public async Task<IReadOnlyList<OutboxEntry>> EntriesAsync(CancellationToken cancellationToken = default)
    {
        var keys = Enumerable.Range(0, shards).Select(n => $"outbox-listing-{n}");
        var listings = await dapr.ReadManyAsync<Dictionary<string, string>>(store, keys, cancellationToken);
        return listings.Values.SelectMany(l => l.Value.Select(e => new OutboxEntry(e.Key, e.Value, ListedAt(e.Value)))).ToList();
    }

    /// <summary>Takes out the given entries of one shard, each only if its token is unchanged.</summary>
    public Task UnlistAsync(string shard, IReadOnlyCollection<OutboxEntry> entries, CancellationToken cancellationToken = default) =>
        dapr.UpdateAsync<Dictionary<string, string>>(store, shard, current =>
        {
            if (current is null || !entries.Any(e => current.GetValueOrDefault(e.Key) == e.Token)) return current;
            var next = new Dictionary<string, string>(current, StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                if (next.GetValueOrDefault(entry.Key) == entry.Token) next.Remove(entry.Key);
            }
            return next;
        }, cancellationToken);

    private static DateTimeOffset ListedAt(string token) =>
        long.TryParse(token.AsSpan(0, Math.Max(0, token.IndexOf('.', StringComparison.Ordinal))), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.MinValue;
}
