using Dapr.Client;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>A per-order record that carries the events its last changes caused, until they are sent.</summary>
public interface IOutboxRecord<TSelf> where TSelf : class, IOutboxRecord<TSelf>
{
    IReadOnlyList<OutboxMessage> Outbox { get; }

    /// <summary>The token of the record's entry in the <see cref="OutboxIndex"/>, or null when it is not listed.</summary>
    string? OutboxListing { get; }

    TSelf WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing);
}

/// <summary>
/// Transactional outbox on Dapr state: a decision and the events it emits are written in one
/// conditional write of one key; then the events are published and struck off the record.
/// Before a record first gets events, its key is entered in the <see cref="OutboxIndex"/>, so the
/// sweep (cron binding) finds every record whose events were not sent, e.g. after a crash between
/// the write and the publish. A change costs a read and a write, plus, when it emits, the
/// publishes and a read and write to strike them off; entering and leaving the index happen once
/// per record, not per change. Consumers tolerate the duplicates a resend can cause.
/// </summary>
public sealed class Outbox(DaprClient dapr, EventPublisher publisher, ServiceIdentity service, TimeProvider time, ILogger<Outbox> log)
{
    /// <summary>How long the sweep keeps a record listed after its key was entered, as its saga is likely still under way.</summary>
    public static readonly TimeSpan ListedAtLeast = TimeSpan.FromSeconds(10);

    /// <summary>After this long, a listed key whose record was never written belongs to a writer that crashed.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    private readonly OutboxIndex _index = new(dapr, service.StateStore, time);

    /// <summary>
    /// Applies <paramref name="decide"/> to the record at <paramref name="key"/> and sends what it
    /// emitted. <paramref name="beforeWrite"/> (current, next) runs before each attempt to write a
    /// change, for what must be in place before the change can land (e.g. an index entry); it
    /// may run more than once, so it must be idempotent.
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

    /// <summary>Publishes the record's unsent events and strikes them off; the record stays listed.</summary>
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

    /// <summary>
    /// The recovery sweep: sends whatever a crash left unsent, and takes records with nothing
    /// left to send out of the index (after <see cref="ListedAtLeast"/>: taking out a record
    /// whose next change is near only costs that change a new entry). One bulk read covers every
    /// listed record. Returns how many entries it looked at.
    /// </summary>
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

    /// <summary>Sends the record's unsent events, or marks it unlisted; true when its entry can go.</summary>
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
            // Unlisted on a later pass, once nothing is left to send.
            await SendAsync(entry.Key, record, cancellationToken);
            return false;
        }
        if (now - entry.ListedAt < ListedAtLeast || string.IsNullOrEmpty(etag)) return false;
        // Unlisting is a conditional write (with the ETag of the bulk read) even when the record
        // already says "not listed": it fails a writer that read the record before it and assumed
        // its listing, so that writer re-reads, sees it unlisted and enters the key again. The
        // entry goes only if this write won; if another won, the next pass looks again.
        return await dapr.TrySaveStateAsync(service.StateStore, entry.Key, record.WithOutbox(record.Outbox, null), etag,
            cancellationToken: cancellationToken);
    }
}
