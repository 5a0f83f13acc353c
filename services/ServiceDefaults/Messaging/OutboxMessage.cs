using System.Text.Json;
using DaprSaga.Contracts;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>An event stored in the record whose change caused it; its id is the CloudEvent id, kept on republishing.</summary>
public sealed record OutboxMessage(string Id, string Topic, string OrderId, JsonElement Data)
{
    public static OutboxMessage For<TEvent>(TEvent integrationEvent) where TEvent : IIntegrationEvent => new(
        Guid.NewGuid().ToString("N"),
        TEvent.Topic,
        integrationEvent.OrderId,
        JsonSerializer.SerializeToElement(integrationEvent, ServiceDefaultsExtensions.JsonOptions));
}
