using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace DaprSaga.Components.Tests;

/// <summary>
/// deploy/k8s against Contracts, dapr.yaml and components/: the same apps on the same ports, the
/// same components with the same scopes, the same resiliency and daprd settings, so running on
/// Kubernetes and running with `dapr run -f .` cannot drift apart.
/// </summary>
public sealed class KubernetesManifestTests
{
    private const string Orchestrator = AppIds.OrderProcessService;

    /// <summary>The apps the HorizontalPodAutoscalers scale: the participants with no state of their own in memory.</summary>
    private static readonly string[] ScaledApps = [AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService];

    private readonly KubernetesManifests _k8s = KubernetesManifests.Load();
    private readonly RunFile _run = RunFile.Load();

    public static TheoryData<string> Apps => new(AppIds.All);

    [Fact]
    public void TheKustomizationListsEveryManifestAndNothingElse()
    {
        var files = Repo.YamlFilesUnder(KubernetesManifests.Folder)
            .Select(Repo.Relative)
            .Where(f => f != Repo.Relative(KubernetesManifests.KustomizationPath));

        Assert.Equal(files.Order(StringComparer.Ordinal), _k8s.ListedFiles.Order(StringComparer.Ordinal));
        Assert.Equal("kustomize.config.k8s.io/v1beta1", _k8s.Kustomization.Scalar("apiVersion"));
        Assert.Equal("Kustomization", _k8s.Kustomization.Scalar("kind"));
    }

    [Fact]
    public void EveryManifestHasAnApiVersionAKindAndAName()
    {
        Assert.NotEmpty(_k8s.Documents);
        Assert.All(_k8s.Documents, d =>
        {
            Assert.False(string.IsNullOrEmpty(d.ApiVersion), $"{d}: no apiVersion");
            Assert.False(string.IsNullOrEmpty(d.Kind), $"{d}: no kind");
            Assert.False(string.IsNullOrEmpty(d.Name), $"{d}: no name");
        });
        var duplicates = _k8s.Documents.GroupBy(d => (d.Kind, d.Name)).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(duplicates);
    }

    [Fact]
    public void ThereIsOneDaprDeploymentPerAppNamedByItsAppId()
    {
        var deployments = _k8s.AppDeployments;

        Assert.Equal(AppIds.All.Order(StringComparer.Ordinal), deployments.Keys.Order(StringComparer.Ordinal));
        Assert.All(deployments, d => Assert.Equal(d.Key, d.Value.Name));
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void EachAppListensOnItsRunFilePortInThePodTheSidecarAndTheService(string appId)
    {
        var (deployment, annotations, container) = _k8s.AppPod(appId);
        var port = RunFileApp(appId).Scalar("appPort");
        var service = _k8s.ServiceOf(deployment);

        Assert.Equal(port, annotations["dapr.io/app-port"]);
        Assert.Equal(port, Assert.Single(KubernetesManifests.Sequence(container, "ports")).Scalar("containerPort"));
        Assert.Equal(port, KubernetesManifests.Env(container, "ASPNETCORE_HTTP_PORTS").Value);
        Assert.Equal(appId, service.Name);
        Assert.Equal(port, Assert.Single(KubernetesManifests.Sequence(service.Spec, "ports")).Scalar("targetPort"));
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void EachAppHasTheRunFilesHealthCheckAndProbesOnIt(string appId)
    {
        var (_, annotations, container) = _k8s.AppPod(appId);
        var path = _run.Setting(RunFileApp(appId), "appHealthCheckPath");

        Assert.Equal(_run.Setting(RunFileApp(appId), "enableAppHealthCheck"), annotations["dapr.io/enable-app-health-check"]);
        Assert.Equal(path, annotations["dapr.io/app-health-check-path"]);
        Assert.All(new[] { "readinessProbe", "livenessProbe" }, probe =>
            Assert.Equal(path, container.Mapping(probe).Mapping("httpGet").Scalar("path")));
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void EachAppAndItsSidecarShareBothTokensFromSecrets(string appId)
    {
        // The injector gives daprd DAPR_API_TOKEN / APP_API_TOKEN from key "token" of the named
        // Secrets and nothing to the app (dapr pkg/injector/patcher/sidecar_container.go).
        var (_, annotations, container) = _k8s.AppPod(appId);

        Assert.Equal((null, annotations["dapr.io/api-token-secret"], "token"), KubernetesManifests.Env(container, "DAPR_API_TOKEN"));
        Assert.Equal((null, annotations["dapr.io/app-token-secret"], "token"), KubernetesManifests.Env(container, "APP_API_TOKEN"));
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void EachAppRunsItsServicesImageAsNonRootWithResourceRequests(string appId)
    {
        var (_, annotations, container) = _k8s.AppPod(appId);
        var repository = KubernetesManifests.ContainerRepository(RunFileApp(appId).Scalar("appDirPath") ?? "");
        var image = container.Scalar("image") ?? "";

        Assert.Equal($"daprsaga/{appId}", repository);
        Assert.Equal(repository, image.Split(':')[0]);
        Assert.Contains(_k8s.Kustomization.Get("images") as YamlSequenceNode ?? [], i => ((YamlMappingNode)i).Scalar("name") == repository);
        Assert.Equal("true", container.Mapping("securityContext").Scalar("runAsNonRoot"));
        var requests = container.Mapping("resources").Mapping("requests");
        Assert.NotNull(requests.Scalar("cpu"));
        Assert.NotNull(requests.Scalar("memory"));
        Assert.NotNull(annotations.GetValueOrDefault("dapr.io/sidecar-cpu-request"));
    }

    [Fact]
    public void TheParticipantsScaleOnCpuAndTheirDeploymentsLeaveTheCountToTheAutoscaler()
    {
        var autoscalers = _k8s.OfKind("HorizontalPodAutoscaler").ToList();

        Assert.Equal(ScaledApps.Order(StringComparer.Ordinal),
            autoscalers.Select(a => a.Spec.Mapping("scaleTargetRef").Scalar("name") ?? "").Order(StringComparer.Ordinal));
        Assert.All(autoscalers, a =>
        {
            Assert.Equal("autoscaling/v2", a.ApiVersion);
            var target = a.Spec.Mapping("scaleTargetRef");
            Assert.Equal("Deployment", target.Scalar("kind"));
            var min = int.Parse(a.Spec.Scalar("minReplicas") ?? "0", CultureInfo.InvariantCulture);
            var max = int.Parse(a.Spec.Scalar("maxReplicas") ?? "0", CultureInfo.InvariantCulture);
            Assert.InRange(min, 1, max - 1);
            Assert.Contains(KubernetesManifests.Sequence(a.Spec, "metrics"), m => m.Mapping("resource").Scalar("name") == "cpu");
            // A replica count in the Deployment would be set back on every apply, undoing the autoscaler.
            Assert.Null(_k8s.AppDeployments[target.Scalar("name") ?? ""].Spec.Get("replicas"));
        });
    }

    [Fact]
    public void TheComponentsAreTheDefaultSetsWithTheSameNamesTypesScopesAndSettings()
    {
        // Only where the Redis is and how its password is given may differ.
        string[] connection = ["redisHost", "redisPassword"];
        var local = ResourceSet.Default.Components.ToList();
        var cluster = _k8s.Components.ToList();

        Assert.Equal(local.Select(c => c.Name).Order(StringComparer.Ordinal), cluster.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.All(cluster, c =>
        {
            var twin = local.Single(l => l.Name == c.Name);
            Assert.Equal(twin.ApiVersion, c.ApiVersion);
            Assert.Equal(twin.Type, c.Type);
            Assert.Equal(twin.Version, c.Version);
            Assert.Equal(twin.Scopes, c.Scopes);
            Assert.Equal(
                twin.Metadata.Where(m => !connection.Contains(m.Key)).OrderBy(m => m.Key, StringComparer.Ordinal),
                c.Metadata.Where(m => !connection.Contains(m.Key)).OrderBy(m => m.Key, StringComparer.Ordinal));
            Assert.Equal(
                KubernetesManifests.MetadataItems(twin).Select(i => i.Scalar("name")).Order(StringComparer.Ordinal),
                KubernetesManifests.MetadataItems(c).Select(i => i.Scalar("name")).Order(StringComparer.Ordinal));
        });
    }

    [Fact]
    public void EachAppSeesItsOwnStoreItsBindingsAndThePubSubWithItsTopicScopes()
    {
        var components = _k8s.Components.ToList();
        var pubsub = Assert.Single(components, c => c.Name == ComponentNames.PubSub);
        var publishing = DaprValues.TopicScopes(pubsub.Metadata["publishingScopes"]);
        var subscription = DaprValues.TopicScopes(pubsub.Metadata["subscriptionScopes"]);

        Assert.Empty(publishing.Problems);
        Assert.Empty(subscription.Problems);
        Assert.All(AppIds.All, app =>
        {
            var visible = components.Where(c => c.Scopes.Contains(app)).ToList();
            var stores = visible.Where(c => c.Type.StartsWith("state.", StringComparison.Ordinal)).Select(c => c.Name);
            var bindings = visible.Where(c => c.Type.StartsWith("bindings.", StringComparison.Ordinal)).Select(c => c.Name);
            Assert.Equal([ComponentNames.StoreOf[app]], stores);
            Assert.Equal(ComponentNames.BindingsOf[app].Order(StringComparer.Ordinal), bindings.Order(StringComparer.Ordinal));
            Assert.Contains(app, pubsub.Scopes);
            Assert.Equal(Topology.PublishingScope(app).Order(StringComparer.Ordinal), publishing.Topics[app].Order(StringComparer.Ordinal));
            Assert.Equal(Topology.SubscriptionScope(app).Order(StringComparer.Ordinal), subscription.Topics[app].Order(StringComparer.Ordinal));
        });
        var actorStores = components.Where(c => c.Metadata.GetValueOrDefault("actorStateStore") == "true");
        Assert.Equal([ComponentNames.StoreOf[Orchestrator]], actorStores.Select(c => c.Name));
    }

    [Fact]
    public void RedisPasswordsComeFromASecretThroughTheKubernetesSecretStore()
    {
        var redis = _k8s.Components.Where(c => c.Type.EndsWith(".redis", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(redis);
        Assert.All(redis, c =>
        {
            var password = Assert.Single(KubernetesManifests.MetadataItems(c), i => i.Scalar("name") == "redisPassword");
            Assert.Null(password.Scalar("value"));
            Assert.False(string.IsNullOrEmpty(password.Mapping("secretKeyRef").Scalar("name")), $"{c}: no secretKeyRef name");
            Assert.False(string.IsNullOrEmpty(password.Mapping("secretKeyRef").Scalar("key")), $"{c}: no secretKeyRef key");
            Assert.Equal("kubernetes", c.Root.Mapping("auth").Scalar("secretStore"));
        });
    }

    [Fact]
    public void TheComponentsRedisIsTheTryOutRedisWithTheSamePassword()
    {
        var redisComponents = _k8s.Components.Where(c => c.Type.EndsWith(".redis", StringComparison.Ordinal)).ToList();
        var host = Assert.Single(redisComponents.Select(c => c.Metadata["redisHost"]).Distinct());
        var secret = Assert.Single(redisComponents
            .Select(c => KubernetesManifests.MetadataItems(c).Single(i => i.Scalar("name") == "redisPassword").Mapping("secretKeyRef"))
            .Select(r => (r.Scalar("name"), r.Scalar("key")))
            .Distinct());
        var (serviceName, servicePort) = (host.Split(':')[0], host.Split(':')[1]);
        var service = Assert.Single(_k8s.OfKind("Service"), s => s.Name == serviceName);
        var redis = Assert.Single(_k8s.OfKind("Deployment"), d => d.Name == serviceName);
        var password = KubernetesManifests.Env(KubernetesManifests.AppContainer(redis), "REDIS_PASSWORD");

        Assert.Contains(KubernetesManifests.Sequence(service.Spec, "ports"), p => p.Scalar("port") == servicePort);
        Assert.Equal(secret, (password.Secret, password.Key));
    }

    [Fact]
    public void TheResiliencyIsTheRunFilesOwn()
    {
        var local = Assert.Single(ResourceSet.Default.Resources, r => r.Kind == DaprResource.Resiliency);
        var cluster = Assert.Single(_k8s.OfKind(DaprResource.Resiliency));
        var componentNames = _k8s.Components.Select(c => c.Name).ToList();

        Assert.Equal(local.Name, cluster.Name);
        Assert.Equal(KubernetesManifests.Canonical(local.Spec), KubernetesManifests.Canonical(cluster.Spec));
        Assert.Equal(local.Scopes, cluster.Scopes);
        Assert.All(cluster.Spec.Mapping("targets").Mapping("apps").Entries(), t => Assert.Contains(t.Key, AppIds.All));
        Assert.All(cluster.Spec.Mapping("targets").Mapping("components").Entries(), t => Assert.Contains(t.Key, componentNames));
    }

    [Fact]
    public void TheCronBindingsAreTheRunFilesOwn()
    {
        var local = ResourceSet.Default.Components.Where(c => c.Type == "bindings.cron").ToList();
        var cluster = _k8s.Components.Where(c => c.Type == "bindings.cron").ToList();

        Assert.NotEmpty(local);
        Assert.Equal(
            local.Select(c => KubernetesManifests.Canonical(c.Root)).Order(StringComparer.Ordinal),
            cluster.Select(c => KubernetesManifests.Canonical(c.Root)).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void EachAppsConfigurationHasTheRunFilesSettingsAndTracesToTheCollector(string appId)
    {
        var configuration = ConfigurationOf(appId);
        var local = Assert.Single(DaprResource.LoadFile(Repo.Resolve(_run.ConfigFilePath ?? "")));
        var tracing = configuration.Spec.Mapping("tracing");
        var otel = tracing.Mapping("otel");

        Assert.Equal(local.Spec.Mapping("tracing").Scalar("samplingRate"), tracing.Scalar("samplingRate"));
        Assert.Equal(KubernetesManifests.Canonical(local.Spec.Mapping("metrics")), KubernetesManifests.Canonical(configuration.Spec.Mapping("metrics")));
        Assert.Equal(KubernetesManifests.Canonical(local.Spec.Mapping("workflow")), KubernetesManifests.Canonical(configuration.Spec.Mapping("workflow")));
        Assert.Equal("grpc", otel.Scalar("protocol"));
        Assert.Equal("false", otel.Scalar("isSecure"));
        var endpoint = (otel.Scalar("endpointAddress") ?? "").Split(':');
        var collector = Assert.Single(_k8s.OfKind("Service"), s => s.Name == endpoint[0]);
        Assert.Contains(KubernetesManifests.Sequence(collector.Spec, "ports"), p => p.Scalar("port") == endpoint[^1]);
        var appEndpoint = KubernetesManifests.Env(_k8s.AppPod(appId).Container, "OTEL_EXPORTER_OTLP_ENDPOINT").Value;
        Assert.Equal($"http://{otel.Scalar("endpointAddress")}", appEndpoint);
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void OnlyTheOrchestratorMayInvokeAParticipantThroughDapr(string appId)
    {
        var accessControl = ConfigurationOf(appId).Spec.Mapping("accessControl");

        if (appId == Orchestrator)
        {
            // order-service reads the orchestrator's steps for the explorer through Dapr.
            Assert.NotEqual("deny", accessControl.Scalar("defaultAction"));
            return;
        }

        Assert.Equal("deny", accessControl.Scalar("defaultAction"));
        var policy = Assert.Single(KubernetesManifests.Sequence(accessControl, "policies"));
        Assert.Equal(Orchestrator, policy.Scalar("appId"));
        Assert.Equal("allow", policy.Scalar("defaultAction"));
        // daprd refuses a policy without both (dapr pkg/acl/acl.go); the namespace is the apps' own.
        Assert.Equal(_k8s.Namespace, policy.Scalar("namespace"));
        Assert.Equal(accessControl.Scalar("trustDomain"), policy.Scalar("trustDomain"));
        Assert.False(string.IsNullOrEmpty(policy.Scalar("trustDomain")));
    }

    [Fact]
    public void TheReadmeCreatesEverySecretTheManifestsRead()
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        var fromEnv = _k8s.OfKind("Deployment")
            .SelectMany(d => KubernetesManifests.Sequence(KubernetesManifests.AppContainer(d), "env"))
            .Select(e => e.Mapping("valueFrom").Mapping("secretKeyRef"));
        var fromComponents = _k8s.Components
            .SelectMany(KubernetesManifests.MetadataItems)
            .Select(i => i.Mapping("secretKeyRef"));
        var secrets = fromEnv.Concat(fromComponents)
            .Where(r => r.Scalar("name") is not null)
            .Select(r => (Name: r.Scalar("name"), Key: r.Scalar("key")))
            .Distinct()
            .ToList();

        Assert.NotEmpty(secrets);
        Assert.All(secrets, s => Assert.Contains(
            $"-n {_k8s.Namespace} create secret generic {s.Name} --from-literal={s.Key}=", readme, StringComparison.Ordinal));
    }

    private YamlMappingNode RunFileApp(string appId) => _run.Apps.Single(a => a.Scalar("appID") == appId);

    private DaprResource ConfigurationOf(string appId)
    {
        var name = _k8s.AppPod(appId).Annotations["dapr.io/config"];
        return Assert.Single(_k8s.OfKind(DaprResource.Configuration), c => c.Name == name);
    }
}
