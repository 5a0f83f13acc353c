
namespace DaprSaga.Components.Tests;

/// <summary>dapr.yaml against the apps (folder and port of each) and the folders under components/.</summary>
public sealed class RunFileTests
{
    /// <summary>The apps: folder under services/ and app port of each.</summary>
    private static readonly Dictionary<string, (string Folder, int Port)> DesignTable = new()
    {
        [AppIds.OrderService] = ("OrderService", 5101),
        [AppIds.InventoryService] = ("InventoryService", 5102),
        [AppIds.PaymentService] = ("PaymentService", 5103),
        [AppIds.DeliveryService] = ("DeliveryService", 5104),
        [AppIds.OrderProcessService] = ("OrderProcessService", 5105),
    };

    private readonly RunFile _run = RunFile.Load();

    [Fact]
    public void TheRunFileStartsExactlyTheFiveAppsOnDistinctPorts()
    {
        var ids = _run.Apps.Select(a => a.Scalar("appID")).ToList();
        var ports = _run.Apps.Select(a => a.Scalar("appPort")).ToList();

        Assert.Equal(AppIds.All.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void EachAppRunsFromItsServiceFolderOnItsDesignPort()
    {
        Assert.All(_run.Apps, app =>
        {
            var id = app.Scalar("appID") ?? "";
            Assert.True(DesignTable.TryGetValue(id, out var design), $"'{id}' is not in the design table");
            Assert.Equal($"./services/{design.Folder}/", app.Scalar("appDirPath"));
            Assert.Equal(design.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), app.Scalar("appPort"));
            Assert.Equal(["dotnet", "run", "--no-build", "--urls", $"http://localhost:{design.Port}"], app.Strings("command"));
        });
    }

    [Fact]
    public void EveryAppHasItsHealthCheckOnHealthz()
    {
        Assert.All(_run.Apps, app =>
        {
            Assert.Equal("true", _run.Setting(app, "enableAppHealthCheck"));
            Assert.Equal("/healthz", _run.Setting(app, "appHealthCheckPath"));
        });
    }

    [Fact]
    public void TheCommonResourcesFoldersAndConfigFileExist()
    {
        Assert.NotEmpty(_run.ResourcesPaths);
        Assert.All(_run.ResourcesPaths, p =>
        {
            Assert.True(Directory.Exists(Repo.Resolve(p)), $"{p} does not exist");
            Assert.Contains(Directory.EnumerateFiles(Repo.Resolve(p)), Repo.IsYaml);
        });
        Assert.NotNull(_run.ConfigFilePath);
        Assert.True(File.Exists(Repo.Resolve(_run.ConfigFilePath)), $"{_run.ConfigFilePath} does not exist");
        Assert.Null(_run.Common.Get("resourcesPath"));
    }

    [Fact]
    public void TheDefaultSetTakesOneFolderOfEachFamily()
    {
        Assert.All(ResourceSet.Families, family =>
            Assert.Single(_run.ResourcesPaths, p => p.StartsWith(family, StringComparison.Ordinal)));
    }

    [Fact]
    public void NothingOverridesTheCommonResources()
    {
        // dapr/cli resolveResourcesFilePath: an app's resourcesPaths, then <appDirPath>/.dapr/resources,
        // win over common.resourcesPaths without merging.
        Assert.All(_run.Apps, app =>
        {
            Assert.Null(app.Get("resourcesPaths"));
            Assert.Null(app.Get("resourcesPath"));
            Assert.Null(app.Get("configFilePath"));
        });
        Assert.All(DesignTable.Values, d =>
            Assert.False(Directory.Exists(Path.Combine(Repo.Root, "services", d.Folder, ".dapr", "resources")),
                $"services/{d.Folder}/.dapr/resources would replace the common resources"));
    }

    [Theory]
    [InlineData(ResourceSet.PubSubFamily)]
    [InlineData(ResourceSet.StateFamily)]
    public void TheRunFileSaysRightAboveTheFamilyLineWhichFoldersItCanBeSwitchedTo(string family)
    {
        var lines = File.ReadAllLines(RunFile.Path);
        var at = Array.FindIndex(lines, l => l.TrimStart().StartsWith("- " + family, StringComparison.Ordinal));

        Assert.True(at > 0, $"no resources line for {family}");
        var comment = lines[at - 1].Trim();
        Assert.StartsWith("#", comment, StringComparison.Ordinal);
        Assert.All(ResourceSet.FoldersOf(family), folder => Assert.Contains(folder, comment, StringComparison.Ordinal));
    }
}
