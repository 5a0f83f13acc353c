using DaprSaga.Contracts;

namespace DaprSaga.ServiceDefaults.Messaging;

public static class OutboxRecordExtensions
{
    /// <summary>The record with <paramref name="events"/> queued, to be sent with the same write.</summary>
    public static T Emitting<T>(this T record, params IIntegrationEvent[] events) where T : class, IOutboxRecord<T>
    {
        // A loop, not Select: an interface with a static abstract member cannot be a type argument (CS8920).
        var outbox = record.Outbox.ToList();
        foreach (var e in events) outbox.Add(OutboxMessage.For(e));
        return record.WithOutbox(outbox, record.OutboxListing);
    }
}
