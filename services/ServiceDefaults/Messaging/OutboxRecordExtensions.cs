using DaprSaga.Contracts;

namespace DaprSaga.ServiceDefaults.Messaging;

public static class OutboxRecordExtensions
{
    /// <summary>The record with <paramref name="integrationEvent"/> queued, to be sent with the same write.</summary>
    public static T Emitting<T, TEvent>(this T record, TEvent integrationEvent)
        where T : class, IOutboxRecord<T>
        where TEvent : IIntegrationEvent =>
        record.WithOutbox([.. record.Outbox, OutboxMessage.For(integrationEvent)], record.OutboxListing);
}
