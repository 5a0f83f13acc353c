using System.Xml.Linq;
using YamlDotNet.RepresentationModel;

namespace DaprSaga.Components.Tests;

/// <summary>
/// deploy/k8s: the kustomization and every document of the manifests it lists, each read as a
/// <see cref="DaprResource"/> (kind, name, spec and metadata are where Kubernetes has them too).
/// </summary>
public sealed class KubernetesManifests
{
    public const string DaprAppId = "dapr.io/app-id";

    private KubernetesManifests(YamlMappingNode kustomization, IReadOnlyList<DaprResource> documents)
    {
        Kustomization = kustomization;
        Documents = documents;
    }

    public static string Folder => Path.Combine(Repo.Root, "deploy", "k8s");

    public static string KustomizationPath => Path.Combine(Folder, "kustomization.yaml");

    public YamlMappingNode Kustomization { get; }

    /// <summary>Every document of every file under deploy/k8s but the kustomization itself.</summary>
    public IReadOnlyList<DaprResource> Documents { get; }

    public string Namespace => Kustomization.Scalar("namespace") ?? "";

    /// <summary>The kustomization's resources as paths relative to the repository.</summary>
    public IReadOnlyList<string> ListedFiles =>
        Kustomization.Strings("resources").Select(r => Repo.Relative(Path.GetFullPath(Path.Combine(Folder, r)))).ToList();

    public IEnumerable<DaprResource> OfKind(string kind) => Documents.Where(d => d.Kind == kind);

    public IEnumerable<DaprResource> Components => OfKind(DaprResource.Component);

    /// <summary>The Deployments that run an app beside daprd, by app id.</summary>
    public IReadOnlyDictionary<string, DaprResource> AppDeployments =>
        OfKind("Deployment")
            .Where(d => Annotations(d).GetValueOrDefault("dapr.io/enabled") == "true")
            .ToDictionary(d => Annotations(d).GetValueOrDefault(DaprAppId) ?? "");

    public static KubernetesManifests Load()
    {
        var kustomization = Yaml.LoadDocuments(KustomizationPath).Single();
        var documents = Repo.YamlFilesUnder(Folder)
            .Where(f => !string.Equals(Path.GetFullPath(f), Path.GetFullPath(KustomizationPath), StringComparison.Ordinal))
            .SelectMany(DaprResource.LoadFile)
            .ToList();
        return new KubernetesManifests(kustomization, documents);
    }

    public static YamlMappingNode PodTemplate(DaprResource deployment) => deployment.Spec.Mapping("template");

    public static IReadOnlyDictionary<string, string> Annotations(DaprResource deployment) =>
        ScalarEntries(PodTemplate(deployment).Mapping("metadata").Mapping("annotations"));

    public static IReadOnlyDictionary<string, string> PodLabels(DaprResource deployment) =>
        ScalarEntries(PodTemplate(deployment).Mapping("metadata").Mapping("labels"));

    /// <summary>The app's container: the one container of the pod (daprd is injected later).</summary>
    public static YamlMappingNode AppContainer(DaprResource deployment) =>
        Assert.Single(Sequence(PodTemplate(deployment).Mapping("spec"), "containers"));

    /// <summary>The Deployment of <paramref name="appId"/>, its pod annotations and its app container.</summary>
    public (DaprResource Deployment, IReadOnlyDictionary<string, string> Annotations, YamlMappingNode Container) AppPod(string appId)
    {
        var deployment = AppDeployments[appId];
        return (deployment, Annotations(deployment), AppContainer(deployment));
    }

    /// <summary>The Service whose selector picks the Deployment's pods.</summary>
    public DaprResource ServiceOf(DaprResource deployment)
    {
        var labels = PodLabels(deployment);
        return Assert.Single(OfKind("Service"), s =>
        {
            var selector = ScalarEntries(s.Spec.Mapping("selector"));
            return selector.Count > 0 && selector.All(kv => labels.GetValueOrDefault(kv.Key) == kv.Value);
        });
    }

    /// <summary>An env entry of a container: its value, or the (secret, key) it is read from.</summary>
    public static (string? Value, string? Secret, string? Key) Env(YamlMappingNode container, string name)
    {
        var entry = Assert.Single(Sequence(container, "env"), e => e.Scalar("name") == name);
        var secret = entry.Mapping("valueFrom").Mapping("secretKeyRef");
        return (entry.Scalar("value"), secret.Scalar("name"), secret.Scalar("key"));
    }

    /// <summary>spec.metadata items of a component (Redis password items carry a secretKeyRef instead of a value).</summary>
    public static IReadOnlyList<YamlMappingNode> MetadataItems(DaprResource component) =>
        Sequence(component.Spec, "metadata");

    public static IReadOnlyList<YamlMappingNode> Sequence(YamlMappingNode map, string key) =>
        map.Get(key) is YamlSequenceNode items ? items.Children.Cast<YamlMappingNode>().ToList() : [];

    /// <summary>A service's ContainerRepository, as `dotnet publish -t:PublishContainer` names its image.</summary>
    public static string? ContainerRepository(string appDirPath)
    {
        var project = Assert.Single(Directory.GetFiles(Repo.Resolve(appDirPath), "*.csproj"));
        return XDocument.Load(project).Descendants("ContainerRepository").SingleOrDefault()?.Value;
    }

    /// <summary>A node as one string with mapping keys sorted, so two files can be compared whatever their order or comments.</summary>
    public static string Canonical(YamlNode? node) => node switch
    {
        YamlScalarNode scalar => "'" + scalar.Value + "'",
        YamlSequenceNode sequence => "[" + string.Join(",", sequence.Children.Select(Canonical)) + "]",
        YamlMappingNode map => "{" + string.Join(",", map.Entries()
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => e.Key + ":" + Canonical(e.Value))) + "}",
        _ => "~",
    };

    private static Dictionary<string, string> ScalarEntries(YamlMappingNode map) =>
        map.Entries().ToDictionary(e => e.Key, e => (e.Value as YamlScalarNode)?.Value ?? "");
}
