namespace DaprSaga.Components.Tests;

/// <summary>
/// Topic scopes of every broker variant against Contracts Topology. An app missing from a scope
/// list is unrestricted in daprd, so every app must be listed with exactly its topics.
/// </summary>
public sealed class PubSubScopeTests
{
    public static TheoryData<string> Brokers => ResourceSet.PubSubFolders;

    [Theory]
    [MemberData(nameof(Brokers))]
    public void EachAppMayPublishOnlyItsOwnTopicsAndItsDeadLetterTopic(string folder) =>
        AssertScopes(folder, "publishingScopes", Topology.PublishingScope);

    [Theory]
    [MemberData(nameof(Brokers))]
    public void EachAppMaySubscribeOnlyToWhatItConsumesAndItsDeadLetterTopic(string folder) =>
        AssertScopes(folder, "subscriptionScopes", Topology.SubscriptionScope);

    [Theory]
    [MemberData(nameof(Brokers))]
    public void NoTopicListOverridesTheScopes(string folder)
    {
        // allowedTopics / protectedTopics apply to every app (dapr pkg/runtime/pubsub/adapter.go);
        // one without the dead-letter topics would make every dead-lettering fail.
        var metadata = PubSubIn(folder).Metadata;

        Assert.DoesNotContain("allowedTopics", metadata.Keys);
        Assert.DoesNotContain("protectedTopics", metadata.Keys);
    }

    private static void AssertScopes(string folder, string key, Func<string, IEnumerable<string>> expected)
    {
        var pubsub = PubSubIn(folder);
        Assert.True(pubsub.Metadata.TryGetValue(key, out var value), $"{pubsub}: {key} not set");

        var (topics, problems) = DaprValues.TopicScopes(value);

        Assert.Empty(problems);
        Assert.Equal(AppIds.All.Order(StringComparer.Ordinal), topics.Keys.Order(StringComparer.Ordinal));
        Assert.All(AppIds.All, app =>
            Assert.Equal(expected(app).Order(StringComparer.Ordinal), topics[app].Order(StringComparer.Ordinal)));
    }

    private static DaprResource PubSubIn(string folder) =>
        Assert.Single(ResourceSet.With(folder).Components, c => c.Name == ComponentNames.PubSub);
}
