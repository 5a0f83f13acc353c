using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Testcontainers.Kafka;
using Testcontainers.RabbitMq;
using Testcontainers.Redis;

namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// The five services in this process, each beside its own real daprd in a container, on one
/// Docker network with Redis (state stores, and the default broker) and optionally RabbitMQ or
/// Kafka, all loading the real files of components/, and Dapr's placement and scheduler, which
/// the Dapr Workflow engine of order-process-service needs.
/// </summary>
public sealed class RealDaprCluster : IAsyncDisposable
{
    /// <summary>daprd's ports inside its container; the test host reaches them through mapped ports.</summary>
    private const int DaprHttpPort = 3500;
    private const int DaprGrpcPort = 50001;

    /// <summary>The control plane's gRPC ports (their binaries' defaults) and aliases on the test network.</summary>
    private const int PlacementPort = 50005;
    private const int SchedulerPort = 50006;
    private const string PlacementAlias = "placement";
    private const string SchedulerAlias = "scheduler";

    /// <summary>Where placement and scheduler answer /healthz (their --healthz-port default).</summary>
    private const int ControlPlaneHealthzPort = 8080;

    /// <summary>
    /// The scheduler's embedded etcd data: a tmpfs (world-writable), since the image runs as a
    /// non-root user whose working directory, /, it cannot write.
    /// </summary>
    private const string SchedulerDataDir = "/var/lock/dapr/scheduler";

    /// <summary>How the sidecar container reaches the app on the test host (Docker 20.10+ `host-gateway`).</summary>
    private const string HostAlias = "host.docker.internal";

    /// <summary>Image pulls excluded (Testcontainers does them while creating); daprd, apps and seeding only.</summary>
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromMinutes(3);

    private static readonly (string AppId, Func<string, int, Uri, Uri, HostedApp> Start)[] AppEntries =
    [
        (AppIds.OrderService, HostedApp.Start<OrderEntry>),
        (AppIds.InventoryService, HostedApp.Start<InventoryEntry>),
        (AppIds.PaymentService, HostedApp.Start<PaymentEntry>),
        (AppIds.DeliveryService, HostedApp.Start<DeliveryEntry>),
        (AppIds.OrderProcessService, HostedApp.Start<ProcessEntry>),
    ];

    private readonly HttpClient _toSidecars = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<IContainer> _infrastructure = [];
    private readonly Dictionary<string, IContainer> _sidecars = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HostedApp> _apps = new(StringComparer.Ordinal);
    private INetwork? _network;

    private readonly Lazy<Task> _workflowReady;

    private RealDaprCluster(Broker broker)
    {
        Broker = broker;
        _workflowReady = new(WaitForWorkflowAsync);
    }

    public Broker Broker { get; }

    public static async Task<RealDaprCluster> StartAsync(Broker broker)
    {
        var cluster = new RealDaprCluster(broker);
        try
        {
            await cluster.StartInfrastructureAsync();
            await cluster.StartSidecarsAndAppsAsync();
            await cluster.WaitUntilReadyAsync();
            return cluster;
        }
        catch (Exception e)
        {
            var logs = await cluster.SidecarLogsAsync();
            await cluster.DisposeAsync();
            throw new InvalidOperationException($"The {broker} cluster did not start: {e.Message}\n{logs}", e);
        }
    }

    /// <summary>The app itself, called directly as a customer would (not through its sidecar).</summary>
    public HttpClient Http(string appId) => _apps[appId].Http;

    private async Task StartInfrastructureAsync()
    {
        _network = new NetworkBuilder().WithName($"daprsaga-{Broker.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}").Build();
        await _network.CreateAsync();

        _infrastructure.Add(new RedisBuilder(Images.Redis)
            .WithNetwork(_network)
            .WithNetworkAliases(ComponentSet.RedisAlias)
            .Build());
        if (Broker == Broker.RabbitMq)
        {
            _infrastructure.Add(new RabbitMqBuilder(Images.RabbitMq)
                .WithUsername(ComponentSet.RabbitMqUser)
                .WithPassword(ComponentSet.RabbitMqPassword)
                .WithNetwork(_network)
                .WithNetworkAliases(ComponentSet.RabbitMqAlias)
                .Build());
        }
        if (Broker == Broker.Kafka)
        {
            // WithListener adds a listener advertised as kafka:19092 and the alias `kafka`.
            _infrastructure.Add(new KafkaBuilder(Images.Kafka)
                .WithNetwork(_network)
                .WithListener($"{ComponentSet.KafkaAlias}:{ComponentSet.KafkaInternalPort}")
                .Build());
        }
        _infrastructure.Add(ControlPlane(Images.Placement, PlacementAlias, "./placement", "--port", Port(PlacementPort)).Build());
        _infrastructure.Add(ControlPlane(Images.Scheduler, SchedulerAlias,
                "./scheduler",
                "--port", Port(SchedulerPort),
                "--etcd-data-dir", SchedulerDataDir,
                // What daprd is told to dial, rather than the container's own address.
                "--override-broadcast-host-port", $"{SchedulerAlias}:{SchedulerPort}")
            .WithTmpfsMount(SchedulerDataDir)
            .Build());
        // Each module's own wait strategy: `redis-cli ping`, RabbitMQ's "Server startup complete",
        // Kafka's startup; placement's and scheduler's /healthz.
        await Task.WhenAll(_infrastructure.Select(c => c.StartAsync()));
    }

    /// <summary>A control-plane service in standalone mode without TLS (the defaults), healthy once /healthz answers.</summary>
    private ContainerBuilder ControlPlane(string image, string alias, params string[] command) =>
        new ContainerBuilder(image)
            .WithNetwork(_network!)
            .WithNetworkAliases(alias)
            .WithPortBinding(ControlPlaneHealthzPort, assignRandomHostPort: true)
            // The images have no entrypoint; the binary is in /, their working directory.
            .WithCommand(command)
            .WithWaitStrategy(Wait.ForUnixContainer()
                .UntilHttpRequestIsSucceeded(request => request.ForPort(ControlPlaneHealthzPort).ForPath("/healthz")));

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task StartSidecarsAndAppsAsync()
    {
        var resources = ComponentSet.For(Broker);
        var ports = AppEntries.ToDictionary(a => a.AppId, _ => HostedApp.FreePort(), StringComparer.Ordinal);
        foreach (var (appId, _) in AppEntries) _sidecars[appId] = Sidecar(appId, ports[appId], resources);

        // Running is enough here: daprd becomes healthy only once its app listens, so the
        // apps start next and readiness is awaited after.
        await Task.WhenAll(_sidecars.Values.Select(s => s.StartAsync()));

        foreach (var (appId, start) in AppEntries)
        {
            var sidecar = _sidecars[appId];
            _apps[appId] = start(appId, ports[appId], SidecarUri(sidecar, DaprHttpPort), SidecarUri(sidecar, DaprGrpcPort));
        }
    }

    private IContainer Sidecar(string appId, int appPort, IReadOnlyDictionary<string, string> resources)
    {
        var builder = new ContainerBuilder(Images.Daprd)
            .WithNetwork(_network!)
            .WithNetworkAliases($"{appId}-dapr")
            .WithExtraHost(HostAlias, "host-gateway")
            .WithPortBinding(DaprHttpPort, assignRandomHostPort: true)
            .WithPortBinding(DaprGrpcPort, assignRandomHostPort: true)
            // The image has no entrypoint (docs/dapr.md, Testing against real daprd).
            .WithCommand(
                "./daprd",
                "--app-id", appId,
                "--app-port", appPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--app-channel-address", HostAlias,
                "--dapr-http-port", DaprHttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--dapr-grpc-port", DaprGrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                // As `dapr run` gives every app: Dapr Workflow's actors and reminders live there.
                "--placement-host-address", $"{PlacementAlias}:{PlacementPort}",
                "--scheduler-host-address", $"{SchedulerAlias}:{SchedulerPort}",
                "--resources-path", "/components");
        // Copied into the container before it starts (works with a remote engine too, unlike a bind mount).
        foreach (var (name, text) in resources)
            builder = builder.WithResourceMapping(Encoding.UTF8.GetBytes(text), $"/components/{name}");
        return builder.Build();
    }

    private static Uri SidecarUri(IContainer sidecar, int containerPort) =>
        new($"http://{sidecar.Hostname}:{sidecar.GetMappedPublicPort(containerPort)}");

    private async Task WaitUntilReadyAsync()
    {
        foreach (var (appId, sidecar) in _sidecars)
        {
            var http = SidecarUri(sidecar, DaprHttpPort);
            await Eventually.TrueAsync(
                $"daprd of {appId} answers 204 on /v1.0/healthz",
                async () =>
                {
                    using var health = await _toSidecars.GetAsync(new Uri(http, "/v1.0/healthz"));
                    return health.StatusCode == HttpStatusCode.NoContent;
                },
                StartupDeadline);

            // Subscriptions are read from the app once it is up (docs/dapr.md, Subscriptions); an order
            // placed before they exist could go unseen on a broker that drops unrouted messages.
            var expected = Topology.Subscribes[appId].ToHashSet(StringComparer.Ordinal);
            await Eventually.TrueAsync(
                $"daprd of {appId} lists a subscription for each of {string.Join(", ", expected)} in /v1.0/metadata",
                async () =>
                {
                    var metadata = await _toSidecars.GetFromJsonAsync<JsonObject>(new Uri(http, "/v1.0/metadata"));
                    var topics = (metadata?["subscriptions"] as JsonArray ?? [])
                        .Select(s => (string?)s?["topic"])
                        .ToHashSet(StringComparer.Ordinal);
                    return expected.IsSubsetOf(topics!);
                },
                StartupDeadline);
        }

        // RabbitMQ drops what is published to a topic before its subscriber's queue exists
        // (README, "Caveats, read in the Dapr sources"); daprd declares one durable queue per app and topic,
        // {consumerID}-{topic}, the consumer id being the app id (components/pubsub/rabbitmq).
        if (Broker == Broker.RabbitMq)
        {
            var rabbitMq = _infrastructure.OfType<RabbitMqContainer>().Single();
            var queues = Topology.Subscribes.SelectMany(s => s.Value.Select(topic => $"{s.Key}-{topic}")).ToList();
            await Eventually.TrueAsync(
                $"RabbitMQ has the queues {string.Join(", ", queues)}",
                async () =>
                {
                    var listed = await rabbitMq.ExecAsync(["rabbitmqctl", "-q", "list_queues", "name"]);
                    var names = listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    return listed.ExitCode == 0 && queues.All(names.Contains);
                },
                StartupDeadline);
        }

        // Each service seeds its demo data at start, retrying until its sidecar answers.
        foreach (var (appId, path) in new[]
        {
            (AppIds.InventoryService, "/products/unobtainium"),
            (AppIds.PaymentService, "/customers/carol"),
            (AppIds.DeliveryService, "/couriers/c-east-1"),
        })
        {
            await Eventually.TrueAsync(
                $"{appId} serves its demo data ({path})",
                async () =>
                {
                    using var seeded = await Http(appId).GetAsync(new Uri(path, UriKind.Relative));
                    return seeded.IsSuccessStatusCode;
                },
                StartupDeadline);
        }
    }

    /// <summary>
    /// Places a choreography order (order-service) or starts an orchestrated one
    /// (order-process-service, naming the engine to run it); returns its id.
    /// </summary>
    public async Task<string> BeginAsync(
        Flow flow, string customerId, string zone, bool autoConfirmPayment, params (string ProductId, int Quantity, decimal UnitPrice)[] items)
    {
        var (appId, path) = flow == Flow.Choreography
            ? (AppIds.OrderService, "/orders")
            : (AppIds.OrderProcessService, "/order-processes");
        var request = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["customerId"] = customerId,
            ["items"] = items.Select(i => new { productId = i.ProductId, quantity = i.Quantity, unitPrice = i.UnitPrice }),
            ["deliveryZone"] = zone,
            ["autoConfirmPayment"] = autoConfirmPayment,
        };
        if (flow.EngineName() is { } engine) request["engine"] = engine;
        if (flow == Flow.Workflow) await _workflowReady.Value;
        using var response = await Http(appId).PostAsJsonAsync(new Uri(path, UriKind.Relative), request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted,
            $"POST {appId}{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (string)body!["orderId"]!;
    }

    /// <summary>
    /// Awaited before the first workflow order only, so the other flows never depend on it: a
    /// workflow can be scheduled once order-process-service's daprd has joined placement (its
    /// actor host is ready) and the app's Dapr Workflow worker has connected to it.
    /// </summary>
    private Task WaitForWorkflowAsync()
    {
        var http = SidecarUri(_sidecars[AppIds.OrderProcessService], DaprHttpPort);
        return Eventually.TrueAsync(
            $"daprd of {AppIds.OrderProcessService} has its actor host ready and a workflow worker connected "
                + "(/v1.0/metadata actorRuntime.hostReady, workflows.connectedWorkers)",
            async () =>
            {
                var metadata = await _toSidecars.GetFromJsonAsync<JsonObject>(new Uri(http, "/v1.0/metadata"));
                return (bool?)metadata?["actorRuntime"]?["hostReady"] == true
                    && ((int?)metadata?["workflows"]?["connectedWorkers"] ?? 0) > 0;
            },
            StartupDeadline);
    }

    /// <summary>
    /// One field of a resource: a string, a decimal for a number, null when the field is
    /// absent or null, or the status code in angle brackets (`&lt;404&gt;`) when the resource
    /// does not answer 2xx, so a check can still match on a later poll.
    /// </summary>
    public async Task<object?> FieldAsync(string appId, string path, string field)
    {
        using var response = await Http(appId).GetAsync(new Uri(path, UriKind.Relative));
        if (!response.IsSuccessStatusCode) return $"<{(int)response.StatusCode}>";
        var value = (await response.Content.ReadFromJsonAsync<JsonObject>())![field];
        return value?.GetValueKind() switch
        {
            null or System.Text.Json.JsonValueKind.Null => null,
            System.Text.Json.JsonValueKind.Number => value.GetValue<decimal>(),
            _ => value.ToString(),
        };
    }

    /// <summary>The tail of every daprd's log, for a failure message.</summary>
    public async Task<string> SidecarLogsAsync()
    {
        var text = new StringBuilder();
        foreach (var (appId, sidecar) in _sidecars)
        {
            try
            {
                var (stdout, stderr) = await sidecar.GetLogsAsync(timestampsEnabled: false);
                var lines = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                text.AppendLine($"--- daprd {appId} (last {Math.Min(lines.Length, 30)} lines)");
                foreach (var line in lines.TakeLast(30)) text.AppendLine(line);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                text.AppendLine($"--- daprd {appId}: no logs ({e.Message})");
            }
        }
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps.Values) await app.DisposeAsync();
        foreach (var container in _sidecars.Values.Concat(_infrastructure)) await container.DisposeAsync();
        if (_network is not null) await _network.DisposeAsync();
        _toSidecars.Dispose();
    }
}

/// <summary>How a test's order runs: choreographed, or orchestrated by order-process-service on one of its engines.</summary>
public enum Flow
{
    Choreography,

    /// <summary>Orchestrated by order-process-service's own runner over its state store.</summary>
    Runner,

    /// <summary>Orchestrated by order-process-service on Dapr Workflow (placement and scheduler at work).</summary>
    Workflow,
}

public static class FlowExtensions
{
    public static bool IsOrchestrated(this Flow flow) => flow != Flow.Choreography;

    /// <summary>The order's `flow` as order-service shows it.</summary>
    public static SagaFlow SagaFlow(this Flow flow) => flow.IsOrchestrated() ? Contracts.SagaFlow.Orchestration : Contracts.SagaFlow.Choreography;

    /// <summary>The engine as the order, its process and its timeline show it; null for a choreography.</summary>
    public static SagaEngine? Engine(this Flow flow) => flow switch
    {
        Flow.Runner => SagaEngine.Runner,
        Flow.Workflow => SagaEngine.Workflow,
        _ => null,
    };

    /// <summary>`engine` as POST /order-processes takes it.</summary>
    public static string? EngineName(this Flow flow) => flow.Engine()?.ToString().ToLowerInvariant();
}
