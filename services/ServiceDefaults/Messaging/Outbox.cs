using Dapr.Client;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>A per-order record that carries the events its last changes caused, until they are sent.</summary>
public interface IOutboxRecord<TSelf> where TSelf : class, IOutboxRecord<TSelf>
{
    IReadOnlyList<OutboxMessage> Outbox { get; }

    TSelf WithOutbox(IReadOnlyList<OutboxMessage> outbox);
}

/// <summary>
/// Transactional outbox on Dapr state: a decision and the events it emits are written in one
/// conditional write of one key; then the events are published and struck off the record. The
/// key is entered in a sharded "outbox" index first, so the sweep (cron binding) finds every
/// record whose events were not sent, e.g. after a crash between the write and the publish.
/// Consumers tolerate the duplicates a resend can cause.
/// </summary>
public sealed class Outbox(DaprClient dapr, EventPublisher publisher, ServiceIdentity service, ILogger<Outbox> log)
{
    private readonly ShardedIndex _pending = new(dapr, service.StateStore, "outbox");

    /// <summary>Applies <paramref name="decide"/> to the record at <paramref name="key"/> and sends what it emitted.</summary>
    public async Task<Updated<T>> ChangeAsync<T>(string key, Func<T?, T?> decide, CancellationToken cancellationToken)
        where T : class, IOutboxRecord<T>
    {
        await _pending.AddAsync(key, cancellationToken);
        var updated = await dapr.UpdateAsync(service.StateStore, key, decide, cancellationToken);
        // A concurrent sender may have struck the key off the index between the add and the
        // write; put it back (a read only, when it is still there) before publishing.
        if (updated.Value is { Outbox.Count: > 0 }) await _pending.AddAsync(key, cancellationToken);
        await SendAsync<T>(key, updated.Value, cancellationToken);
        return updated;
    }

    /// <summary>Publishes the record's unsent events, strikes them off, and leaves the index when done.</summary>
    public async Task SendAsync<T>(string key, T? record, CancellationToken cancellationToken)
        where T : class, IOutboxRecord<T>
    {
        if (record is { Outbox.Count: > 0 })
        {
            await publisher.PublishAllAsync(record.Outbox, cancellationToken);
            var sent = record.Outbox.Select(m => m.Id).ToHashSet();
            var after = await dapr.UpdateAsync<T>(service.StateStore, key, r =>
                r is null || !r.Outbox.Any(m => sent.Contains(m.Id)) ? r : r.WithOutbox(r.Outbox.Where(m => !sent.Contains(m.Id)).ToList()),
                cancellationToken);
            // A change that raced in may have added events of its own; its writer sends those.
            if (after.Value is { Outbox.Count: > 0 }) return;
        }
        await _pending.RemoveAsync(key, cancellationToken);
        // A writer may have added events after we looked: keep such a record listed.
        var latest = await dapr.GetStateAsync<T>(service.StateStore, key, cancellationToken: cancellationToken);
        if (latest is { Outbox.Count: > 0 }) await _pending.AddAsync(key, cancellationToken);
    }

    /// <summary>The recovery sweep: sends whatever a crash left unsent.</summary>
    public async Task<int> SweepAsync<T>(CancellationToken cancellationToken) where T : class, IOutboxRecord<T>
    {
        var keys = await _pending.ListAsync(cancellationToken);
        await RecoveryPass.RunAsync(keys, async key =>
        {
            var record = await dapr.GetStateAsync<T>(service.StateStore, key, cancellationToken: cancellationToken);
            await SendAsync(key, record, cancellationToken);
        }, log, cancellationToken);
        return keys.Count;
    }
}
