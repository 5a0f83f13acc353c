using Dapr.Client;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>A record that carries the events its last changes caused until they are sent.</summary>
public interface IOutboxRecord<TSelf> where TSelf : class, IOutboxRecord<TSelf>
{
    IReadOnlyList<OutboxMessage> Outbox { get; }

    string? OutboxListing { get; }

    TSelf WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing);
}

/// <summary>
/// Transactional outbox on Dapr state: a decision and its events are one conditional write of one
/// key, then published and struck off. The key is listed in the <see cref="OutboxIndex"/> before its
/// first events, so the sweep finds what a crash left unsent (docs/architecture.md, Outbox).
/// </summary>
public sealed class Outbox(DaprClient dapr, EventPublisher publisher, ServiceIdentity service, TimeProvider time, ILogger<Outbox> log)
{
    // Left listed a while after listing (its saga is likely under way); a key never written after an hour was abandoned.
    public static readonly TimeSpan ListedAtLeast = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    private readonly OutboxIndex _index = new(dapr, service.StateStore, time);

    /// <summary>
    /// Applies <paramref name="decide"/> and sends what it emitted. <paramref name="beforeWrite"/>
    /// runs before each write attempt (e.g. an index entry), so it must be idempotent.
    /// </summary>
    public async Task<Updated<T>> ChangeAsync<T>(
        string key, Func<T?, T?> decide, CancellationToken cancellationToken, Func<T?, T, CancellationToken, Task>? beforeWrite = null)
        where T : class, IOutboxRecord<T>
    {
        var updated = await dapr.UpdateAsync<T>(service.StateStore, key, async (current, ct) =>
        {
            var next = decide(current);
            if (next is null || ReferenceEquals(next, current)) return next;
            if (beforeWrite is not null) await beforeWrite(current, next, ct);
            if (next.Outbox.Count == 0 || next.OutboxListing is not null) return next;
            // The first events of an unlisted record: enter the key before the write can land.
            return next.WithOutbox(next.Outbox, await _index.ListAsync(key, ct));
        }, cancellationToken);
        // What this change emitted or, when unchanged, what a crash (or a writer still at it) left.
        await SendAsync(key, updated.Value, cancellationToken);
        return updated;
    }

    private async Task SendAsync<T>(string key, T? record, CancellationToken cancellationToken)
        where T : class, IOutboxRecord<T>
    {
        if (record is not { Outbox.Count: > 0 }) return;
        await publisher.PublishAllAsync(record.Outbox, cancellationToken);
        var sent = record.Outbox.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        // A change that raced in keeps its own events, which its writer sends.
        await dapr.UpdateAsync<T>(service.StateStore, key, r =>
            r is null || !r.Outbox.Any(m => sent.Contains(m.Id))
                ? r
                : r.WithOutbox(r.Outbox.Where(m => !sent.Contains(m.Id)).ToList(), r.OutboxListing),
            cancellationToken);
    }

    /// <summary>Sends what a crash left unsent and unlists records with nothing left (one bulk read per pass).</summary>
    public async Task<int> SweepAsync<T>(CancellationToken cancellationToken) where T : class, IOutboxRecord<T>
    {
        var now = time.GetUtcNow();
        var entries = await _index.EntriesAsync(cancellationToken);
        if (entries.Count == 0) return 0;
        var records = (await dapr.GetBulkStateAsync<T>(
                service.StateStore, entries.Select(e => e.Key).Distinct(StringComparer.Ordinal).ToList(), parallelism: 8,
                cancellationToken: cancellationToken))
            .ToDictionary(i => i.Key, StringComparer.Ordinal);
        var done = new List<OutboxEntry>();
        await RecoveryPass.RunAsync(entries, async entry =>
        {
            var (record, etag) = records.TryGetValue(entry.Key, out var read) ? (read.Value, read.ETag) : (null, null);
            if (await SettleAsync(entry, record, etag, now, cancellationToken)) done.Add(entry);
        }, log, cancellationToken);
        foreach (var shard in done.GroupBy(e => _index.ShardOf(e.Key)))
            await _index.UnlistAsync(shard.Key, shard.ToList(), cancellationToken);
        return entries.Count;
    }

    // True when the entry can go.
    private async Task<bool> SettleAsync<T>(OutboxEntry entry, T? record, string? etag, DateTimeOffset now, CancellationToken cancellationToken)
        where T : class, IOutboxRecord<T>
    {
        if (record is null)
        {
            // Not written (yet): a writer between entering the key and its write, unless long gone.
            if (now - entry.ListedAt < AbandonedAfter) return false;
            // A bulk read reports a key it failed to read as absent: make sure before letting go.
            return await dapr.GetStateAsync<T>(service.StateStore, entry.Key, cancellationToken: cancellationToken) is null;
        }
        if (record.Outbox.Count > 0)
        {
            await SendAsync(entry.Key, record, cancellationToken);
            return false;
        }
        if (now - entry.ListedAt < ListedAtLeast || string.IsNullOrEmpty(etag)) return false;
        // Conditional even when already unlisted: a writer that read the listing before it must re-read and list again.
        return await dapr.TrySaveStateAsync(service.StateStore, entry.Key, record.WithOutbox(record.Outbox, null), etag,
            cancellationToken: cancellationToken);
    }
}
