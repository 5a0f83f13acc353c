using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.Tests;

/// <summary>Checks every service's tests make alike, said once.</summary>
public static class ServiceAssert
{
    /// <summary>
    /// The sidecar subscribed exactly the app's topics of <see cref="Topology"/>, each dead-lettered to the app's
    /// own topic; that topic is subscribed too (by MapDeadLetters), without a dead-letter topic of its own.
    /// </summary>
    public static void SubscribesToItsTopology(Sidecar sidecar)
    {
        var deadLetters = Topics.DeadLetters(sidecar.AppId);
        var subscriptions = sidecar.Subscriptions.Where(s => s.Topic != deadLetters).ToList();

        Assert.Equal(Topology.Subscribes[sidecar.AppId].Order(), subscriptions.Select(s => s.Topic).Order());
        Assert.All(subscriptions, s =>
        {
            Assert.Equal(Components.PubSub, s.PubsubName);
            Assert.Equal(deadLetters, s.DeadLetterTopic);
            Assert.Equal($"/events/{s.Topic}", s.Path);
        });
    }

    /// <summary>The state calls per key family made since <paramref name="before"/> (a <see cref="SidecarCalls.ByKeyFamily"/>).</summary>
    public static Dictionary<string, long> SpentSince(SidecarCalls calls, IReadOnlyDictionary<string, long> before) =>
        calls.ByKeyFamily()
            .Select(c => (c.Key, Count: c.Value - before.GetValueOrDefault(c.Key)))
            .Where(c => c.Count > 0)
            .ToDictionary(c => c.Key, c => c.Count, StringComparer.Ordinal);

    /// <summary>
    /// Within <paramref name="budget"/>, the state reads and writes allowed each key family, family by family and
    /// in all; or a failure that lists what was spent.
    /// </summary>
    public static void WithinBudget(IReadOnlyDictionary<string, long> spent, params (string Family, long Reads, long Writes)[] budget)
    {
        var limits = budget
            .SelectMany(b => new[] { (Key: $"StateRead {b.Family}", Limit: b.Reads), (Key: $"StateWrite {b.Family}", Limit: b.Writes) })
            .ToDictionary(l => l.Key, l => l.Limit, StringComparer.Ordinal);
        var report = string.Join(", ", spent.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
        Assert.All(spent, c => Assert.True(c.Value <= limits.GetValueOrDefault(c.Key), $"over budget: {report}"));
        Assert.True(spent.Values.Sum() <= limits.Values.Sum(), $"over budget: {report}");
    }

    /// <summary>The one event a change queued: of <typeparamref name="TEvent"/>'s topic and for <paramref name="orderId"/>.</summary>
    public static TEvent SingleEvent<TEvent>(IReadOnlyList<OutboxMessage> outbox, string orderId) where TEvent : IIntegrationEvent
    {
        var message = Assert.Single(outbox);
        Assert.Equal(TEvent.Topic, message.Topic);
        Assert.Equal(orderId, message.OrderId);
        return message.Data.Deserialize<TEvent>(ServiceDefaultsExtensions.JsonOptions)!;
    }
}
