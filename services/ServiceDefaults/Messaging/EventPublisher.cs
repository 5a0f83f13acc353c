using Dapr.Client;
using DaprSaga.Contracts;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>Publishes integration events with the metadata every event carries (docs/dapr.md, The CloudEvent envelope).</summary>
public sealed class EventPublisher(DaprClient dapr)
{
    public Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken) =>
        dapr.PublishEventAsync(Components.PubSub, message.Topic, message.Data, new Dictionary<string, string>
        {
            // The CloudEvent type names topic and version; consumers route and check on it.
            ["cloudevent.type"] = Topics.EventType(message.Topic),
            // Stable across republishing, so a consumer can recognise a repeat by id as well.
            ["cloudevent.id"] = message.Id,
            // Kafka keeps one saga's events in order on one partition.
            ["partitionKey"] = message.OrderId,
        }, cancellationToken);

    public async Task PublishAllAsync(IEnumerable<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages) await PublishAsync(message, cancellationToken);
    }
}
