using YamlDotNet.RepresentationModel;

namespace DaprSaga.Components.Tests;

/// <summary>Small accessors over YamlDotNet's representation model.</summary>
public static class Yaml
{
    /// <summary>Every document of a file; a file may hold several separated by "---".</summary>
    public static IReadOnlyList<YamlMappingNode> LoadDocuments(string path)
    {
        using var reader = File.OpenText(path);
        var stream = new YamlStream();
        stream.Load(reader);
        return stream.Documents
            .Select(d => d.RootNode as YamlMappingNode
                ?? throw new InvalidDataException($"{Repo.Relative(path)}: a document is not a mapping."))
            .ToList();
    }

    public static YamlNode? Get(this YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    public static string? Scalar(this YamlMappingNode map, string key) => (map.Get(key) as YamlScalarNode)?.Value;

    public static YamlMappingNode Mapping(this YamlMappingNode map, string key) =>
        map.Get(key) as YamlMappingNode ?? new YamlMappingNode();

    public static IReadOnlyList<string> Strings(this YamlMappingNode map, string key) =>
        map.Get(key) is YamlSequenceNode sequence
            ? sequence.Children.Select(c => (c as YamlScalarNode)?.Value ?? "").ToList()
            : [];

    /// <summary>The keys of a mapping, in file order.</summary>
    public static IEnumerable<(string Key, YamlNode Value)> Entries(this YamlMappingNode map) =>
        map.Children.Select(c => (((YamlScalarNode)c.Key).Value ?? "", c.Value));
}
