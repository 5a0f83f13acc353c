using Dapr.Client;

namespace DaprSaga.ServiceDefaults.State;

/// <summary>
/// A set of ids over fixed shard keys (Dapr state has no key listing). Ids go in before their record
/// is written and out after it is done with, so the index never misses a record.
/// </summary>
public sealed class ShardedIndex(DaprClient dapr, string store, string name, int shards = 16)
{
    public string KeyOf(string id) => $"{name}-index-{Shard(id)}";

    public Task AddAsync(string id, CancellationToken cancellationToken = default) => AddAllAsync([id], cancellationToken);

    /// <summary>One conditional write per shard that lacks any of <paramref name="ids"/>.</summary>
    public async Task AddAllAsync(IEnumerable<string> ids, CancellationToken cancellationToken = default)
    {
        foreach (var shard in ids.GroupBy(KeyOf))
        {
            await dapr.UpdateAsync<SortedSet<string>>(store, shard.Key, set =>
            {
                if (set is not null && shard.All(set.Contains)) return set;
                var next = new SortedSet<string>(set ?? [], StringComparer.Ordinal);
                next.UnionWith(shard);
                return next;
            }, cancellationToken);
        }
    }

    public Task RemoveAsync(string id, CancellationToken cancellationToken = default) => RemoveAllAsync([id], cancellationToken);

    /// <summary>One conditional write per shard that holds any of <paramref name="ids"/>.</summary>
    public async Task RemoveAllAsync(IEnumerable<string> ids, CancellationToken cancellationToken = default)
    {
        foreach (var shard in ids.GroupBy(KeyOf))
        {
            await dapr.UpdateAsync<SortedSet<string>>(store, shard.Key, set =>
            {
                if (set is null || !shard.Any(set.Contains)) return set;
                var next = new SortedSet<string>(set, StringComparer.Ordinal);
                next.ExceptWith(shard);
                return next;
            }, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default)
    {
        var keys = Enumerable.Range(0, shards).Select(n => $"{name}-index-{n}");
        var sets = await dapr.ReadManyAsync<SortedSet<string>>(store, keys, cancellationToken);
        return sets.Values.SelectMany(s => s.Value).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private int Shard(string id) => StableShard(id, shards);

    // FNV-1a: string.GetHashCode is randomised per process.
    public static int StableShard(string id, int shards)
    {
        var hash = 2166136261u;
        foreach (var c in id) hash = (hash ^ c) * 16777619u;
        return (int)(hash % (uint)shards);
    }
}
