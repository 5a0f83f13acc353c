using YamlDotNet.RepresentationModel;

namespace DaprSaga.Components.Tests;

/// <summary>dapr.yaml, the multi-app run file (dapr/cli pkg/runfileconfig).</summary>
public sealed class RunFile
{
    public static string Path => System.IO.Path.Combine(Repo.Root, "dapr.yaml");

    private RunFile(YamlMappingNode root)
    {
        Root = root;
        Common = root.Mapping("common");
        Apps = root.Get("apps") is YamlSequenceNode apps ? apps.Children.Cast<YamlMappingNode>().ToList() : [];
    }

    public YamlMappingNode Root { get; }
    public YamlMappingNode Common { get; }
    public IReadOnlyList<YamlMappingNode> Apps { get; }
    public IReadOnlyList<string> ResourcesPaths => Common.Strings("resourcesPaths");
    public string? ConfigFilePath => Common.Scalar("configFilePath");

    public static RunFile Load() => new(Yaml.LoadDocuments(Path).Single());

    /// <summary>An app's own setting, else the one under common (dapr/cli mergeCommonAndAppsSharedRunConfig).</summary>
    public string? Setting(YamlMappingNode app, string key) => app.Scalar(key) ?? Common.Scalar(key);
}
