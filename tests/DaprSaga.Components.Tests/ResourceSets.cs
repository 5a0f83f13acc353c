namespace DaprSaga.Components.Tests;

/// <summary>
/// The resources one daprd sees: the run file's common.resourcesPaths, or those paths with the pub/sub
/// or state-store line swapped for another folder of the same family (one broker, one kind of store).
/// </summary>
public sealed record ResourceSet(IReadOnlyList<string> Folders)
{
    public const string PubSubFamily = "./components/pubsub/";
    public const string StateFamily = "./components/state/";

    public IReadOnlyList<DaprResource> Resources => DaprResource.LoadFolders(Folders.Select(Repo.Resolve));

    public IEnumerable<DaprResource> Components => Resources.Where(r => r.Kind == DaprResource.Component);

    public static ResourceSet Default => new(RunFile.Load().ResourcesPaths);

    /// <summary>The default set with its line of <paramref name="folder"/>'s family replaced by that folder.</summary>
    public static ResourceSet With(string folder)
    {
        var family = Families.Single(f => folder.StartsWith(f, StringComparison.Ordinal));
        return new(Default.Folders.Select(p => p.StartsWith(family, StringComparison.Ordinal) ? folder : p).ToList());
    }

    public static IReadOnlyList<string> Families { get; } = [PubSubFamily, StateFamily];

    /// <summary>The folders of a family as the run file would name them: ./components/pubsub/kafka, ...</summary>
    public static IReadOnlyList<string> FoldersOf(string family) =>
        Directory.GetDirectories(Repo.Resolve(family))
            .Select(d => family + System.IO.Path.GetFileName(d))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static TheoryData<string> PubSubFolders => new(FoldersOf(PubSubFamily));

    /// <summary>Every folder of every family: each names one set (the default set is among them).</summary>
    public static IReadOnlyList<string> VariantFolders => Families.SelectMany(FoldersOf).ToList();

    public static TheoryData<string> AllVariantFolders => new(VariantFolders);

    public override string ToString() => string.Join(", ", Folders);
}
