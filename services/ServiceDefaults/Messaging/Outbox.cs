using System.Collections.Concurrent;
using Dapr.Client;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>A record that carries the events its last changes caused until they are sent.</summary>
public interface IOutboxRecord<TSelf> where TSelf : class, IOutboxRecord<TSelf>
{
    IReadOnlyList<OutboxMessage> Outbox { get; }

    /// <summary>Written only so that a late create does nothing: it expires after <see cref="RetentionOptions.TombstoneLife"/>.</summary>
    bool IsTombstone { get; }

    /// <summary>Nothing of its own left to do (unfinished steps, a pending expiry, an open saga): the sweep may unlist it once sent.</summary>
    bool IsAtRest { get; }

    /// <summary>Left to a scheduled pass (an expiry, a saga deadline), so listed even by a call its caller repeats until done.</summary>
    bool AwaitsAPass { get; }

    string? OutboxListing { get; }

    TSelf WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing);
}

/// <summary>
/// A service's own work on its listed records that are not at rest, done by each sweep from the sweep's one read.
/// </summary>
public interface IListedWork<T> where T : class, IOutboxRecord<T>
{
    /// <summary>
    /// Carries on <paramref name="notAtRest"/> (by key, as the sweep read them) and returns the keys of those that, as
    /// read, turn out to have nothing left to do after all, so the sweep may unlist them (e.g. a final reservation its products follow).
    /// </summary>
    Task<IReadOnlyCollection<string>> CarryOnAsync(IReadOnlyDictionary<string, T> notAtRest, CancellationToken cancellationToken);

    /// <summary>Runs before the sweep unlists <paramref name="resting"/> (e.g. to enter them in a list); if it fails they stay listed.</summary>
    Task LeavingTheListingAsync(IReadOnlyCollection<T> resting, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Transactional outbox on Dapr state: a decision and its events are one conditional write of one
/// key, then published. The key is listed in the <see cref="OutboxIndex"/> before the record first
/// has events or work of its own left, so the sweep finds what a crash left unsent or unfinished.
/// Sent events are struck off lazily, by the record's next write or the sweep, from what this process
/// remembers sending (docs/architecture.md, Outbox).
/// </summary>
public sealed class Outbox(
    DaprClient dapr, EventPublisher publisher, ServiceIdentity service, TimeProvider time, IOptions<RetentionOptions> retention, ILogger<Outbox> log)
{
    // Left listed a moment after listing (its writer is likely still sending); a key never written after an hour was abandoned.
    public static readonly TimeSpan ListedAtLeast = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    private readonly OutboxIndex _index = new(dapr, service.StateStore, time);

    // Long enough for a record's next write to strike off what this process sent; an unlisted record may never have one.
    public static readonly TimeSpan RemembersSentFor = TimeSpan.FromMinutes(2);

    // Ids this process published per key, and when, until struck off or forgotten; lost on restart, when they may go again.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, DateTimeOffset>> _sent = new(StringComparer.Ordinal);

    /// <summary>
    /// Applies <paramref name="decide"/> and sends what it emitted. <paramref name="beforeWrite"/>
    /// runs before each write attempt (e.g. an index entry), so it must be idempotent. With
    /// <paramref name="freshKey"/> (an id made just now) the first attempt decides on nothing, unread.
    /// </summary>
    public async Task<Updated<T>> ChangeAsync<T>(
        string key, Func<T?, T?> decide, CancellationToken cancellationToken, Func<T?, T, CancellationToken, Task>? beforeWrite = null,
        bool freshKey = false)
        where T : class, IOutboxRecord<T>
    {
        List<OutboxMessage> struck = [];
        var updated = await dapr.WriteIfUnchangedAsync<T>(service.StateStore, key, async (current, ct) =>
        {
            var next = decide(current);
            if (next is null || ReferenceEquals(next, current)) return next;
            if (beforeWrite is not null) await beforeWrite(current, next, ct);
            struck = next.Outbox.Where(m => WasSent(key, m)).ToList();
            if (struck.Count > 0) next = next.WithOutbox(next.Outbox.Where(m => !WasSent(key, m)).ToList(), next.OutboxListing);
            // At rest with nothing to send, it lets go of its entry, which the sweep then takes out without a write.
            if (next.OutboxListing is not null && next.Outbox.Count == 0 && next.IsAtRest) return next.WithOutbox([], null);
            if (next.OutboxListing is not null || !MustBeListed(next)) return next;
            // An unlisted record that gets events or work left: enter the key before the write can land.
            return next.WithOutbox(next.Outbox, await _index.ListAsync(key, ct));
        }, MetadataOf, cancellationToken, freshKey);
        if (updated.Changed) Forget(key, struck);
        // What this change emitted or, when unchanged, what a crash (or a writer still at it) left.
        await SendAsync(key, updated.Value, cancellationToken);
        return updated;
    }

    private static bool MustBeListed<T>(T record) where T : class, IOutboxRecord<T> =>
        CallRepeats.UntilDone ? record.AwaitsAPass : record.Outbox.Count > 0 || !record.IsAtRest;

    private IReadOnlyDictionary<string, string>? MetadataOf<T>(T record) where T : class, IOutboxRecord<T> =>
        record.IsTombstone ? StateStoreExtensions.ExpiresAfter(retention.Value.TombstoneLife) : null;

    private async Task SendAsync<T>(string key, T? record, CancellationToken cancellationToken)
        where T : class, IOutboxRecord<T>
    {
        if (record is null) return;
        foreach (var message in record.Outbox.Where(m => !WasSent(key, m)))
        {
            await publisher.PublishAsync(message, cancellationToken);
            _sent.GetOrAdd(key, _ => new(StringComparer.Ordinal))[message.Id] = time.GetUtcNow();
        }
    }

    private bool WasSent(string key, OutboxMessage message) => _sent.TryGetValue(key, out var ids) && ids.ContainsKey(message.Id);

    private bool SentBefore(string key, OutboxMessage message, DateTimeOffset cutoff) =>
        _sent.TryGetValue(key, out var ids) && ids.TryGetValue(message.Id, out var sentAt) && sentAt <= cutoff;

    private void ForgetSentBefore(DateTimeOffset cutoff)
    {
        foreach (var (key, ids) in _sent)
        {
            foreach (var (id, sentAt) in ids)
            {
                if (sentAt < cutoff) ids.TryRemove(KeyValuePair.Create(id, sentAt));
            }
            if (ids.IsEmpty) _sent.TryRemove(KeyValuePair.Create(key, ids));
        }
    }

    private void Forget(string key, IEnumerable<OutboxMessage> struck)
    {
        if (!_sent.TryGetValue(key, out var ids)) return;
        foreach (var message in struck) ids.TryRemove(message.Id, out _);
        if (ids.IsEmpty) _sent.TryRemove(KeyValuePair.Create(key, ids));
    }

    /// <summary>
    /// Sends what a crash left unsent, strikes off what was sent, has <paramref name="work"/> carry on the records
    /// not at rest, and unlists records at rest with nothing left to send.
    /// </summary>
    public async Task<int> SweepAsync<T>(CancellationToken cancellationToken, IListedWork<T>? work = null) where T : class, IOutboxRecord<T>
    {
        var now = time.GetUtcNow();
        ForgetSentBefore(now - RemembersSentFor);
        var (entries, records) = await ReadListedAsync<T>(null, cancellationToken);
        var notAtRest = records.Where(r => !r.Value.Value.IsAtRest).ToDictionary(r => r.Key, r => r.Value.Value, StringComparer.Ordinal);
        var rested = new HashSet<string>(StringComparer.Ordinal);
        // Before settling, as only the work may know a record is at rest; its failure must not keep events unsent.
        if (work is not null && notAtRest.Count > 0)
            await TryWorkAsync<T>(async () => rested.UnionWith(await work.CarryOnAsync(notAtRest, cancellationToken)), "carrying on; the next tick tries again");
        var leaving = entries
            .Where(e => records.TryGetValue(e.Key, out var read) && (read.Value.IsAtRest || rested.Contains(e.Key)) && now - e.ListedAt >= ListedAtLeast)
            .Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        if (work is not null && leaving.Count > 0
            && !await TryWorkAsync<T>(() => work.LeavingTheListingAsync([.. leaving.Select(k => records[k].Value)], cancellationToken), "before unlisting; they stay listed"))
            leaving.Clear();
        var done = new List<OutboxEntry>();
        await RecoveryPass.RunAsync(entries, async entry =>
        {
            var read = records.GetValueOrDefault(entry.Key);
            if (await SettleAsync(entry, read?.Value, read?.ETag, leaving.Contains(entry.Key), now, cancellationToken)) done.Add(entry);
        }, log, cancellationToken);
        foreach (var shard in done.GroupBy(e => _index.ShardOf(e.Key)))
            await _index.UnlistAsync(shard.Key, shard.ToList(), cancellationToken);
        return entries.Count;
    }

    // The service's work failing must not stop the sweep sending what is unsent.
    private async Task<bool> TryWorkAsync<T>(Func<Task> step, string what)
    {
        try
        {
            await step();
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "The sweep's work on {Record} records failed, {What}", typeof(T).Name, what);
            return false;
        }
    }

    /// <summary>The keys listed now, of records of any state (e.g. for a list that shows the records not yet in it): one read of the listing.</summary>
    public async Task<IReadOnlyList<string>> ListedKeysAsync(CancellationToken cancellationToken) =>
        [.. (await _index.EntriesAsync(cancellationToken)).Select(e => e.Key)];

    /// <summary>The listed records of <typeparamref name="T"/> that are not at rest, for a service's own passes (e.g. an expiry): one read of each.</summary>
    public Task<IReadOnlyList<T>> ListedNotAtRestAsync<T>(CancellationToken cancellationToken) where T : class, IOutboxRecord<T> =>
        NotAtRestAsync<T>(null, cancellationToken);

    /// <summary>As above, reading only the records listed at least <paramref name="listedFor"/> ago.</summary>
    public Task<IReadOnlyList<T>> ListedNotAtRestAsync<T>(TimeSpan listedFor, CancellationToken cancellationToken) where T : class, IOutboxRecord<T> =>
        NotAtRestAsync<T>(time.GetUtcNow() - listedFor, cancellationToken);

    private async Task<IReadOnlyList<T>> NotAtRestAsync<T>(DateTimeOffset? listedBy, CancellationToken cancellationToken) where T : class, IOutboxRecord<T>
    {
        var (_, records) = await ReadListedAsync<T>(listedBy, cancellationToken);
        return [.. records.Values.Select(r => r.Value).Where(r => !r.IsAtRest)];
    }

    private async Task<(IReadOnlyList<OutboxEntry> Entries, IReadOnlyDictionary<string, Stored<T>> Records)> ReadListedAsync<T>(
        DateTimeOffset? listedBy, CancellationToken cancellationToken) where T : class, IOutboxRecord<T>
    {
        var entries = await _index.EntriesAsync(cancellationToken);
        var read = listedBy is { } by ? entries.Where(e => e.ListedAt <= by) : entries;
        return (entries, await dapr.ReadManyAsync<T>(service.StateStore, read.Select(e => e.Key), cancellationToken));
    }

    // True when the entry can go.
    private async Task<bool> SettleAsync<T>(
        OutboxEntry entry, T? record, string? etag, bool unlist, DateTimeOffset now, CancellationToken cancellationToken)
        where T : class, IOutboxRecord<T>
    {
        if (record is null)
        {
            // Not written (yet): a writer between entering the key and its write, unless long gone.
            if (now - entry.ListedAt < AbandonedAfter) return false;
            // A bulk read reports a key it failed to read as absent: make sure before letting go.
            return await dapr.GetStateAsync<T>(service.StateStore, entry.Key, cancellationToken: cancellationToken) is null;
        }
        await SendAsync(entry.Key, record, cancellationToken);
        // A writer that read it holding this entry finds the ETag moved on, re-reads and lists it anew.
        if (unlist && record.Outbox.Count == 0 && record.OutboxListing is null) return true;
        // Staying listed, it keeps what went out lately for its own next write (no write racing it); older, struck off before forgotten.
        if (!unlist && !record.Outbox.Any(m => SentBefore(entry.Key, m, now - ListedAtLeast))) return false;
        if (string.IsNullOrEmpty(etag)) return false;
        // Conditional even when already unlisted: a writer that read the listing before it must re-read and list again.
        var written = await dapr.TrySaveStateAsync(service.StateStore, entry.Key, record.WithOutbox([], unlist ? null : record.OutboxListing), etag,
            metadata: MetadataOf(record), cancellationToken: cancellationToken);
        if (written) Forget(entry.Key, record.Outbox);
        return written && unlist;
    }
}
