using System.Net;
using System.Text.Json.Nodes;
using DaprSaga.TestSidecar.Grpc;
using DaprSaga.TestSidecar.Http;
using DaprSaga.TestSidecar.PubSub;
using DaprSaga.TestSidecar.State;
using DaprSaga.TestSidecar.Workflow;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprSaga.TestSidecar;

/// <summary>
/// A test stand-in for one app's daprd: a gRPC listener (HTTP/2 cleartext) for the Dapr API and
/// Dapr Workflow's TaskHubSidecarService (over the app's engine on the testbed), an
/// HTTP/1.1 listener for service invocation, health and metadata, and the app channel it uses to
/// call its app (subscriptions, deliveries, bindings, invocations).
/// </summary>
public sealed class Sidecar : IAsyncDisposable
{
    private readonly WebApplication _host;
    private readonly Lock _gate = new();
    private AppChannel? _app;
    private readonly List<Consumer> _consumers = [];
    private readonly HashSet<string> _enabledBindings = [];

    private Sidecar(Testbed testbed, SidecarOptions options, WebApplication host, Uri grpc, Uri http)
    {
        (Testbed, Options, _host, GrpcEndpoint, HttpEndpoint) = (testbed, options, host, grpc, http);
    }

    public Testbed Testbed { get; }

    public SidecarOptions Options { get; }

    public string AppId => Options.AppId;

    public Uri GrpcEndpoint { get; }

    public Uri HttpEndpoint { get; }

    public SidecarCalls Calls { get; } = new();

    /// <summary>The subscriptions read from the app's /dapr/subscribe and accepted.</summary>
    public IReadOnlyList<Subscription> Subscriptions
    {
        get { lock (_gate) return _consumers.Select(c => c.Subscription).ToList(); }
    }

    /// <summary>Configuration keys an app reads to find this sidecar (AddDaprClient reads IConfiguration first).</summary>
    public IReadOnlyDictionary<string, string?> AppConfiguration => new Dictionary<string, string?>
    {
        ["DAPR_GRPC_ENDPOINT"] = GrpcEndpoint.ToString().TrimEnd('/'),
        ["DAPR_HTTP_ENDPOINT"] = HttpEndpoint.ToString().TrimEnd('/'),
        ["DAPR_API_TOKEN"] = Options.DaprApiToken,
        ["APP_API_TOKEN"] = Options.AppApiToken,
        ["APP_ID"] = AppId,
    };

    /// <summary>Loaded components with their capabilities (dapr `pkg/runtime/runtime.go` getComponentsCapabilitesMap).</summary>
    internal IEnumerable<(string Name, string Type, string[] Capabilities)> Components() =>
        Options.StateStores.Select(s => (s, "state.redis", new[] { "ETAG", "TRANSACTIONAL", "TTL", "ACTOR" }))
            .Concat(Options.PubSubs.Select(p => (p, "pubsub.redis", Array.Empty<string>())))
            .Concat(Options.Bindings.Select(b => (b, "bindings.cron", new[] { "INPUT_BINDING" })));

    internal int StateStoreCount => Options.StateStores.Count;

    /// <summary>Whether Dapr Workflow can run: an actor state store among the loaded state stores.</summary>
    internal bool HasActorStateStore => Options.ActorStateStore is { } store && Options.StateStores.Contains(store);

    internal RedisStateStore? StateStore(string name) =>
        Options.StateStores.Contains(name) ? Testbed.StateStore(name) : null;

    internal InMemoryPubSub? PubSub(string name) =>
        Options.PubSubs.Contains(name) ? Testbed.PubSub(name) : null;

    internal AppChannel? App
    {
        get { lock (_gate) return _app; }
    }

    internal static async Task<Sidecar> StartAsync(Testbed testbed, SidecarOptions options)
    {
        ListenOptions? grpcListen = null, httpListen = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => { o.Protocols = HttpProtocols.Http2; grpcListen = o; });
            k.Listen(IPAddress.Loopback, 0, o => { o.Protocols = HttpProtocols.Http1; httpListen = o; });
            k.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddGrpc();
        Sidecar? sidecar = null;
        builder.Services.AddSingleton(_ => sidecar!);
        builder.Services.AddSingleton<DaprApi>();
        builder.Services.AddSingleton<TaskHubApi>();
        var host = builder.Build();
        host.MapGrpcService<DaprApi>();
        host.MapGrpcService<TaskHubApi>();
        host.MapSidecarHttpApi();
        await host.StartAsync(testbed.Stopping);

        // Kestrel writes the bound port back into the ListenOptions it was given.
        sidecar = new Sidecar(testbed, options, host,
            new Uri($"http://127.0.0.1:{grpcListen!.IPEndPoint!.Port}"),
            new Uri($"http://127.0.0.1:{httpListen!.IPEndPoint!.Port}"));
        testbed.Register(sidecar);
        testbed.Workflows(options.AppId).Limits = (options.MaxConcurrentWorkflowInvocations, options.MaxConcurrentActivityInvocations);
        testbed.Workflows(options.AppId).Retention = options.WorkflowStateRetention;
        return sidecar;
    }

    /// <summary>
    /// Connects the sidecar to its app, as daprd does once the app is up: reads
    /// `GET /dapr/subscribe` and subscribes, then probes each input binding with OPTIONS.
    /// Call again after the app restarts (possibly on another address).
    /// </summary>
    public async Task AttachAppAsync(HttpClient appClient)
    {
        var app = new AppChannel(appClient, Options.AppApiToken);
        var subscriptions = await app.ReadSubscriptionsAsync(Testbed.Stopping);
        var bindings = new List<string>();
        foreach (var binding in Options.Bindings)
        {
            if (await app.ProbeBindingAsync(binding, Testbed.Stopping)) bindings.Add(binding);
        }

        DetachApp();
        lock (_gate)
        {
            _app = app;
            _enabledBindings.UnionWith(bindings);
            foreach (var subscription in subscriptions)
            {
                // Subscriptions for unknown components or out of the app's subscription scope are skipped.
                var pubsub = PubSub(subscription.PubsubName);
                if (pubsub is null || !pubsub.MaySubscribe(AppId, subscription.Topic)) continue;
                var consumer = new Consumer(this, subscription);
                _consumers.Add(consumer);
                pubsub.Join(subscription.Topic, AppId).Attach(consumer);
            }
        }
    }

    public Task AttachAppAsync(Uri appAddress) =>
        AttachAppAsync(new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // daprd is a process of its own: the app's HTTP tracing (in this same process) must
            // not see these calls nor rewrite the traceparent the sidecar sends with a delivery.
            // A null propagator leaves out the diagnostics handler altogether.
            ActivityHeadersPropagator = null,
        })
        {
            BaseAddress = appAddress,
            Timeout = Testbed.Delivery.Timeout,
        });

    /// <summary>The app went away (stopped or crashed): deliveries wait, invocations fail.</summary>
    public void DetachApp()
    {
        lock (_gate)
        {
            foreach (var consumer in _consumers)
            {
                Testbed.PubSub(consumer.Subscription.PubsubName).Join(consumer.Subscription.Topic, AppId).Detach(consumer);
            }
            _consumers.Clear();
            _enabledBindings.Clear();
            _app = null;
        }
    }

    /// <summary>
    /// Fires a cron input binding now: POST /{name} on the app, if the start-up OPTIONS probe
    /// enabled it (dapr `pkg/runtime/processor/binding/send.go`). Returns the app's status code,
    /// or null when the binding is not enabled.
    /// </summary>
    public async Task<HttpStatusCode?> TriggerBindingAsync(string name, CancellationToken cancellationToken = default)
    {
        AppChannel? app;
        lock (_gate) app = _enabledBindings.Contains(name) ? _app : null;
        if (app is null) return null;
        Calls.Count(SidecarCallKind.Binding);
        return await app.SendBindingAsync(name, cancellationToken);
    }

    /// <summary>Token check, call counting and injected sidecar errors for gRPC calls.</summary>
    internal Task BeforeApiCallAsync(ServerCallContext context, SidecarCallKind kind, FaultKind? fault)
    {
        if (Options.DaprApiToken is { } token)
        {
            // dapr `pkg/api/grpc/auth.go` checkAPITokenInContext: Unauthenticated, "Unauthorized".
            if (context.RequestHeaders.GetValue("dapr-api-token") != token)
                throw DaprApi.Error(StatusCode.Unauthenticated, "Unauthorized");
        }
        Calls.Count(kind);
        if (fault is { } f && Testbed.Faults.Roll(f)) throw DaprApi.Error(StatusCode.Unavailable, $"injected fault: {fault}");
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        DetachApp();
        Testbed.Unregister(this);
        await _host.StopAsync(CancellationToken.None);
        await _host.DisposeAsync();
    }

    /// <summary>One accepted subscription: routes each message and POSTs it to the app.</summary>
    private sealed class Consumer(Sidecar sidecar, Subscription subscription) : IMessageConsumer
    {
        public string AppId => sidecar.AppId;

        public Subscription Subscription => subscription;

        public async Task<DeliveryOutcome> DeliverAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
        {
            var app = sidecar.App;
            if (app is null) return DeliveryOutcome.Retry;
            sidecar.Calls.Count(SidecarCallKind.Delivery);
            return await app.DeliverAsync(Subscription.Path, cloudEvent, cancellationToken);
        }
    }
}

internal static class JsonNodeExtensions
{
    public static string? StringOrNull(this JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
