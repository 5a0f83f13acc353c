namespace DaprSaga.TestSidecar.PubSub;

/// <summary>
/// One pub/sub component shared by every sidecar of a testbed, modelling `pubsub.redis`
/// (components-contrib `pubsub/redis/redis.go`): a stream per topic, a consumer group per
/// consumer id (the app id by default), created from the start of the stream
/// (XGroupCreateMkStream(stream, consumerID, "0")), so an app that subscribes late still gets
/// what was published before. Topic scoping follows dapr `pkg/scopes/scopes.go` and
/// `pkg/runtime/pubsub/adapter.go` IsOperationAllowed.
/// </summary>
public sealed class InMemoryPubSub
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<CloudEvent>> _streams = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Topic, string Group), ConsumerGroup> _groups = [];
    private readonly Dictionary<string, string> _metadata;

    internal InMemoryPubSub(Testbed testbed, string name, IReadOnlyDictionary<string, string>? metadata)
    {
        Testbed = testbed;
        Name = name;
        _metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
    }

    public string Name { get; }

    internal Testbed Testbed { get; }

    public bool MayPublish(string appId, string topic) => IsOperationAllowed(topic, ScopedTopics("publishingScopes", appId));

    public bool MaySubscribe(string appId, string topic) => IsOperationAllowed(topic, ScopedTopics("subscriptionScopes", appId));

    /// <summary>Everything published to a topic so far, in order (for assertions).</summary>
    public IReadOnlyList<CloudEvent> Published(string topic)
    {
        lock (_gate) return _streams.TryGetValue(topic, out var s) ? [.. s] : [];
    }

    /// <summary>What was published to a topic after its first <paramref name="skip"/> messages (a cheap way to follow a topic).</summary>
    public IReadOnlyList<CloudEvent> PublishedAfter(string topic, int skip)
    {
        lock (_gate) return _streams.TryGetValue(topic, out var s) && s.Count > skip ? s.GetRange(skip, s.Count - skip) : [];
    }

    internal void Publish(CloudEvent cloudEvent)
    {
        List<ConsumerGroup> groups;
        lock (_gate)
        {
            Stream(cloudEvent.Topic).Add(cloudEvent);
            groups = _groups.Where(g => g.Key.Topic == cloudEvent.Topic).Select(g => g.Value).ToList();
        }
        foreach (var group in groups) group.Enqueue(cloudEvent);
    }

    /// <summary>Publishes the original envelope unchanged to a dead-letter topic (postman sendToDeadLetter).</summary>
    internal void PublishRaw(string topic, CloudEvent original)
    {
        List<ConsumerGroup> groups;
        lock (_gate)
        {
            Stream(topic).Add(original);
            groups = _groups.Where(g => g.Key.Topic == topic).Select(g => g.Value).ToList();
        }
        foreach (var group in groups) group.Enqueue(original);
    }

    internal ConsumerGroup Join(string topic, string groupName)
    {
        lock (_gate)
        {
            if (_groups.TryGetValue((topic, groupName), out var existing)) return existing;
            var group = new ConsumerGroup(this, topic, groupName);
            _groups[(topic, groupName)] = group;
            foreach (var e in Stream(topic)) group.Enqueue(e);
            return group;
        }
    }

    internal IEnumerable<ConsumerGroup> Groups()
    {
        lock (_gate) return [.. _groups.Values];
    }

    private List<CloudEvent> Stream(string topic)
    {
        if (!_streams.TryGetValue(topic, out var stream)) _streams[topic] = stream = [];
        return stream;
    }

    private List<string> ScopedTopics(string scope, string appId)
    {
        var topics = new List<string>();
        if (!_metadata.TryGetValue(scope, out var value) || value.Length == 0) return topics;
        foreach (var app in value.Replace(" ", "", StringComparison.Ordinal).Split(';'))
        {
            var parts = app.Split('=');
            if (parts.Length < 2 || parts[0] != appId) continue;
            topics.AddRange(parts[1].Split(',').Where(t => !topics.Contains(t)));
        }
        return topics;
    }

    private List<string> ParamTopics(string name) =>
        _metadata.TryGetValue(name, out var v) && v.Length > 0
            ? v.Replace(" ", "", StringComparison.Ordinal).Split(',').Distinct().ToList()
            : [];

    private bool IsOperationAllowed(string topic, List<string> scopedTopics)
    {
        var allowed = ParamTopics("allowedTopics");
        if (allowed.Count > 0 && !allowed.Contains(topic)) return false;
        var isProtected = ParamTopics("protectedTopics").Contains(topic);
        if (!isProtected && scopedTopics.Count == 0) return true;
        return scopedTopics.Contains(topic);
    }
}
