using Dapr.Client;

namespace DaprSaga.PaymentService.Payments;

public sealed record UnsettledEntry(string OrderId, PaymentPhase EnteredFor);

/// <summary>The payments a recovery pass must find (Pending, Confirming, Refunding), over fixed shards: entered before a write
/// takes one there from absent or settled; the passes unlist settled ones per shard if the entry's phase is unchanged.</summary>
public sealed class UnsettledPayments(DaprClient dapr, string store, int shards = 16)
{
    public const string Name = "unsettled-payments";

    public string ShardOf(string orderId) => $"{Name}-index-{ShardedIndex.StableShard(orderId, shards)}";

    public Task EnterAsync(string orderId, PaymentPhase phase, CancellationToken cancellationToken = default) =>
        dapr.UpdateAsync<Dictionary<string, PaymentPhase>>(store, ShardOf(orderId), entries =>
            entries is not null && entries.TryGetValue(orderId, out var entered) && entered == phase
                ? entries
                : new Dictionary<string, PaymentPhase>(entries ?? [], StringComparer.Ordinal) { [orderId] = phase },
            cancellationToken);

    public async Task<IReadOnlyList<UnsettledEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        var keys = Enumerable.Range(0, shards).Select(n => $"{Name}-index-{n}");
        var shardsRead = await dapr.ReadManyAsync<Dictionary<string, PaymentPhase>>(store, keys, cancellationToken);
        return shardsRead.Values
            .SelectMany(s => s.Value.Select(e => new UnsettledEntry(e.Key, e.Value)))
            .OrderBy(e => e.OrderId, StringComparer.Ordinal)
            .ToList();
    }

    public Task RemoveAsync(string shard, IReadOnlyCollection<UnsettledEntry> settled, CancellationToken cancellationToken = default) =>
        dapr.UpdateAsync<Dictionary<string, PaymentPhase>>(store, shard, current =>
        {
            if (current is null || !settled.Any(e => IsHeld(current, e))) return current;
            var next = new Dictionary<string, PaymentPhase>(current, StringComparer.Ordinal);
            foreach (var entry in settled.Where(e => IsHeld(current, e))) next.Remove(entry.OrderId);
            return next;
        }, cancellationToken);

    private static bool IsHeld(Dictionary<string, PaymentPhase> entries, UnsettledEntry entry) =>
        entries.TryGetValue(entry.OrderId, out var phase) && phase == entry.EnteredFor;
}
