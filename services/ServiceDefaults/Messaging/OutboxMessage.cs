using System.Text.Json;
using DaprSaga.Contracts;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>
/// An integration event waiting to be published, stored inside the record whose change caused
/// it (same key, same conditional write), so the change and its events cannot be separated.
/// The id becomes the CloudEvent id, so a republished message keeps its identity.
/// </summary>
public sealed record OutboxMessage(string Id, string Topic, string OrderId, JsonElement Data)
{
    public static OutboxMessage For<TEvent>(TEvent integrationEvent) where TEvent : IIntegrationEvent => new(
        Guid.NewGuid().ToString("N"),
        TEvent.Topic,
        integrationEvent.OrderId,
        JsonSerializer.SerializeToElement(integrationEvent, ServiceDefaultsExtensions.JsonOptions));
}
