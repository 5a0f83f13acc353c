using YamlDotNet.RepresentationModel;

namespace DaprSaga.Components.Tests;

/// <summary>One document of a Dapr resource file: a Component, Resiliency, Configuration or Subscription.</summary>
public sealed class DaprResource(string file, YamlMappingNode root)
{
    public const string Component = "Component";
    public const string Resiliency = "Resiliency";
    public const string Configuration = "Configuration";
    public const string Subscription = "Subscription";

    public string File { get; } = file;
    public YamlMappingNode Root { get; } = root;
    public string Kind => Root.Scalar("kind") ?? "";
    public string ApiVersion => Root.Scalar("apiVersion") ?? "";
    public string Name => Root.Mapping("metadata").Scalar("name") ?? "";
    public YamlMappingNode Spec => Root.Mapping("spec");
    public string Type => Spec.Scalar("type") ?? "";
    public string Version => Spec.Scalar("version") ?? "";
    public IReadOnlyList<string> Scopes => Root.Strings("scopes");

    /// <summary>spec.metadata as name → value; a repeated name throws.</summary>
    public IReadOnlyDictionary<string, string> Metadata =>
        Spec.Get("metadata") is YamlSequenceNode items
            ? items.Children.Cast<YamlMappingNode>().ToDictionary(i => i.Scalar("name") ?? "", i => i.Scalar("value") ?? "")
            : new Dictionary<string, string>();

    public override string ToString() => $"{Kind} '{Name}' in {Repo.Relative(File)}";

    public static IReadOnlyList<DaprResource> LoadFile(string file) =>
        Yaml.LoadDocuments(file).Select(d => new DaprResource(file, d)).ToList();

    /// <summary>
    /// What daprd loads from resources folders: the YAML files directly inside each folder, never
    /// those in subfolders (dapr pkg/internal/loader/disk/manifest.go skips directories).
    /// </summary>
    public static IReadOnlyList<DaprResource> LoadFolders(IEnumerable<string> folders) =>
        folders
            .SelectMany(folder => Directory.EnumerateFiles(folder).Where(Repo.IsYaml).Order(StringComparer.Ordinal))
            .SelectMany(LoadFile)
            .ToList();

    /// <summary>Every document in every YAML file under components/, variants included.</summary>
    public static IReadOnlyList<DaprResource> All() => Repo.YamlFilesUnder(Repo.Components).SelectMany(LoadFile).ToList();
}
