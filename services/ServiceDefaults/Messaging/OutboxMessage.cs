using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using DaprSaga.Contracts;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>An event stored in the record whose change caused it; its id is the CloudEvent id, kept on republishing.</summary>
public sealed record OutboxMessage(string Id, string Topic, string OrderId, JsonElement Data)
{
    /// <summary>The message of <paramref name="integrationEvent"/>: its topic and JSON are those of its runtime type.</summary>
    public static OutboxMessage For(IIntegrationEvent integrationEvent)
    {
        var type = integrationEvent.GetType();
        return new(
            Guid.NewGuid().ToString("N"),
            TopicByType.GetOrAdd(type, t => (string)TopicOfMethod.MakeGenericMethod(t).Invoke(null, null)!),
            integrationEvent.OrderId,
            JsonSerializer.SerializeToElement(integrationEvent, type, ServiceDefaultsExtensions.JsonOptions));
    }

    private static readonly ConcurrentDictionary<Type, string> TopicByType = new();

    private static readonly MethodInfo TopicOfMethod = typeof(OutboxMessage).GetMethod(nameof(TopicOf), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static string TopicOf<TEvent>() where TEvent : IIntegrationEvent => TEvent.Topic;
}
