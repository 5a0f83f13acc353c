using YamlDotNet.RepresentationModel;

namespace DaprSaga.TestSidecar;

/// <summary>
/// Reads the repository's real component files, so tests and the benchmark run under the scopes
/// `dapr run -f .` uses.
/// </summary>
public static class ComponentFiles
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The metadata (publishingScopes, subscriptionScopes, ...) of the default pub/sub component.</summary>
    public static IReadOnlyDictionary<string, string> PubSubMetadata()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot, "components", "pubsub", "redis", "pubsub.yaml"));
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var metadata = (YamlSequenceNode)((YamlMappingNode)root["spec"])["metadata"];
        return metadata.Cast<YamlMappingNode>().ToDictionary(
            m => ((YamlScalarNode)m["name"]).Value!,
            m => ((YamlScalarNode)m["value"]).Value ?? "");
    }

    /// <summary>
    /// spec.workflow.maxConcurrentWorkflowInvocations / maxConcurrentActivityInvocations of
    /// components/config.yaml; absent or not positive is no limit, as daprd reads them.
    /// </summary>
    public static (int? Workflows, int? Activities) WorkflowLimits()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot, "components", "config.yaml"));
        yaml.Load(reader);
        var spec = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["spec"];
        if (!spec.Children.TryGetValue(new YamlScalarNode("workflow"), out var node) || node is not YamlMappingNode workflow) return (null, null);
        int? Limit(string key) =>
            workflow.Children.TryGetValue(new YamlScalarNode(key), out var value)
            && int.TryParse(((YamlScalarNode)value).Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : null;
        return (Limit("maxConcurrentWorkflowInvocations"), Limit("maxConcurrentActivityInvocations"));
    }

    /// <summary>
    /// The state stores of components/state/{<paramref name="stateSet"/>} that <paramref name="appId"/>
    /// may load (its scopes), as daprd would load them.
    /// </summary>
    public static IReadOnlyList<string> StateStoresOf(string appId, string stateSet = "redis") =>
        StateStores(stateSet).Where(s => s.Scopes.Count == 0 || s.Scopes.Contains(appId)).Select(s => s.Name).ToList();

    /// <summary>
    /// The state store <paramref name="appId"/> loads with `actorStateStore: "true"`, or null. daprd
    /// allows one at most: a second fails the actor runtime, so that is refused here too.
    /// </summary>
    public static string? ActorStateStoreOf(string appId, string stateSet = "redis")
    {
        var actorStores = StateStores(stateSet)
            .Where(s => s.IsActorStore && (s.Scopes.Count == 0 || s.Scopes.Contains(appId)))
            .Select(s => s.Name)
            .ToList();
        if (actorStores.Count > 1)
            throw new InvalidOperationException($"{appId} loads more than one actor state store: {string.Join(", ", actorStores)}");
        return actorStores.SingleOrDefault();
    }

    private sealed record StateStoreFile(string Name, IReadOnlyList<string> Scopes, bool IsActorStore);

    private static List<StateStoreFile> StateStores(string stateSet)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot, "components", "state", stateSet, "statestores.yaml"));
        yaml.Load(reader);
        var stores = new List<StateStoreFile>();
        foreach (var document in yaml.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var name = ((YamlScalarNode)((YamlMappingNode)root["metadata"])["name"]).Value!;
            var metadata = ((YamlSequenceNode)((YamlMappingNode)root["spec"])["metadata"]).Cast<YamlMappingNode>();
            // daprd reads the flag with utils.IsTruthy ("true", "1", "yes", "y", "on", any case).
            var isActorStore = metadata.Any(m => ((YamlScalarNode)m["name"]).Value == "actorStateStore"
                && ((YamlScalarNode)m["value"]).Value?.ToLowerInvariant() is "true" or "1" or "yes" or "y" or "on");
            var scopes = root.Children.TryGetValue(new YamlScalarNode("scopes"), out var node) && node is YamlSequenceNode list
                ? list.Cast<YamlScalarNode>().Select(s => s.Value ?? "").ToList()
                : [];
            stores.Add(new StateStoreFile(name, scopes, isActorStore));
        }
        return stores;
    }

    /// <summary>
    /// The schedule of every cron binding in components/common/cron-bindings.yaml. Only the
    /// "@every &lt;duration&gt;" form is read (the one the repository uses); anything else is refused.
    /// </summary>
    public static IReadOnlyDictionary<string, TimeSpan> CronSchedules()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot, "components", "common", "cron-bindings.yaml"));
        yaml.Load(reader);
        var schedules = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var document in yaml.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var name = ((YamlScalarNode)((YamlMappingNode)root["metadata"])["name"]).Value!;
            var schedule = ((YamlSequenceNode)((YamlMappingNode)root["spec"])["metadata"]).Cast<YamlMappingNode>()
                .Single(m => ((YamlScalarNode)m["name"]).Value == "schedule");
            schedules[name] = ParseEvery(((YamlScalarNode)schedule["value"]).Value ?? "");
        }
        return schedules;
    }

    // Go's time.ParseDuration for the units the repository uses (s, m, h), e.g. "@every 10s".
    private static TimeSpan ParseEvery(string schedule)
    {
        if (schedule.StartsWith("@every ", StringComparison.Ordinal) && schedule.Length > 8
            && int.TryParse(schedule.AsSpan(7, schedule.Length - 8), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            switch (schedule[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
            }
        }
        throw new FormatException($"cron schedule '{schedule}' is not of the form '@every <n>s|m|h'");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DaprSaga.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No DaprSaga.sln above {AppContext.BaseDirectory}.");
    }
}
