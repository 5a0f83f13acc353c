namespace DaprSaga.Components.Tests;

/// <summary>Paths in the repository, found by walking up from the test binaries to DaprSaga.sln.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Components => Path.Combine(Root, "components");

    /// <summary>A path as the run file writes it (./components/common), made absolute.</summary>
    public static string Resolve(string runFilePath) => Path.GetFullPath(Path.Combine(Root, runFilePath));

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    /// <summary>Every YAML file under a folder, subfolders included.</summary>
    public static IEnumerable<string> YamlFilesUnder(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(IsYaml).Order(StringComparer.Ordinal);

    /// <summary>The suffixes daprd reads (dapr/kit strings.IsYaml).</summary>
    public static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DaprSaga.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No DaprSaga.sln above {AppContext.BaseDirectory}.");
    }
}
