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

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DaprSaga.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No DaprSaga.sln above {AppContext.BaseDirectory}.");
    }
}
