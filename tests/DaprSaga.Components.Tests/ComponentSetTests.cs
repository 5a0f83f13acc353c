namespace DaprSaga.Components.Tests;

/// <summary>
/// What one daprd would load, for the default set and for each broker and state-store variant:
/// every name the code uses is there, once, scoped to the apps that use it.
/// </summary>
public sealed class ComponentSetTests
{
    public static TheoryData<string> Variants => ResourceSet.AllVariantFolders;

    [Theory]
    [MemberData(nameof(Variants))]
    public void EveryComponentNameTheCodeUsesIsDefinedExactlyOnce(string folder)
    {
        var names = ResourceSet.With(folder).Components.Select(c => c.Name).ToList();
        var used = ComponentNames.StoreOf.Values
            .Concat(ComponentNames.BindingsOf.Values.SelectMany(b => b))
            .Append(ComponentNames.PubSub)
            .Distinct();

        Assert.All(used, name => Assert.Single(names, name));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void NoResourceIsDefinedTwiceBecauseDaprdRefusesDuplicates(string folder)
    {
        // dapr pkg/internal/loader/disk/disk.go: "duplicate definition of ... name ...".
        var duplicates = ResourceSet.With(folder).Resources
            .GroupBy(r => (r.Kind, r.Name))
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key.Kind} '{g.Key.Name}'");

        Assert.Empty(duplicates);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void EachStateStoreIsScopedToItsOwnerOnly(string folder)
    {
        var components = ResourceSet.With(folder).Components.ToList();

        Assert.All(ComponentNames.StoreOf, owned =>
        {
            var store = Assert.Single(components, c => c.Name == owned.Value);
            Assert.StartsWith("state.", store.Type, StringComparison.Ordinal);
            Assert.Equal([owned.Key], store.Scopes);
        });
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void EachCronBindingIsScopedToExactlyTheAppsThatHandleIt(string folder)
    {
        var components = ResourceSet.With(folder).Components.ToList();
        var appsOfBinding = ComponentNames.BindingsOf
            .SelectMany(kv => kv.Value.Select(binding => (Binding: binding, App: kv.Key)))
            .GroupBy(x => x.Binding, x => x.App);

        Assert.All(appsOfBinding, apps =>
        {
            var binding = Assert.Single(components, c => c.Name == apps.Key);
            Assert.Equal("bindings.cron", binding.Type);
            Assert.Equal(apps.Order(StringComparer.Ordinal), binding.Scopes.Order(StringComparer.Ordinal));
        });
    }

    [Fact]
    public void EveryComponentAndResiliencyIsScopedToRealAppsOnly()
    {
        var scoped = DaprResource.All().Where(r => r.Kind is DaprResource.Component or DaprResource.Resiliency);

        Assert.All(scoped, r =>
        {
            Assert.NotEmpty(r.Scopes);
            Assert.Equal(r.Scopes.Distinct().Count(), r.Scopes.Count);
            Assert.All(r.Scopes, app => Assert.Contains(app, AppIds.All));
        });
    }

    [Fact]
    public void TheDefaultSetIsTheRedisThatDaprInitStarts()
    {
        var components = ResourceSet.Default.Components.ToList();
        var pubsub = Assert.Single(components, c => c.Name == ComponentNames.PubSub);
        var stores = components.Where(c => ComponentNames.StoreOf.Values.Contains(c.Name)).ToList();

        Assert.Equal("pubsub.redis", pubsub.Type);
        Assert.Equal(ComponentNames.StoreOf.Count, stores.Count);
        Assert.All(stores.Append(pubsub), c =>
        {
            Assert.EndsWith(".redis", c.Type, StringComparison.Ordinal);
            Assert.Equal("localhost:6379", c.Metadata["redisHost"]);
        });
    }

    [Fact]
    public void EveryYamlFileUnderComponentsIsLoadedBySomeChoiceOfFolders()
    {
        // daprd reads only the files directly inside a resources folder, so a file anywhere else
        // (a subfolder of one, or components/ itself) would silently never load. The Configuration
        // is the one exception: it is passed as configFilePath.
        var loadable = ResourceSet.VariantFolders
            .Concat(ResourceSet.Default.Folders)
            .Select(Repo.Resolve)
            .ToHashSet();
        var config = Repo.Resolve(RunFile.Load().ConfigFilePath ?? "");

        var stray = Repo.YamlFilesUnder(Repo.Components)
            .Where(f => f != config && !loadable.Contains(Path.GetDirectoryName(f)!))
            .Select(Repo.Relative);

        Assert.Empty(stray);
    }
}
