using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;
using DaprSaga.TestSidecar.PubSub;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DaprSaga.TestSidecar;

/// <summary>How a <see cref="ServiceHost{TEntryPoint}"/> starts; every field has the default most tests want.</summary>
public sealed record ServiceHostOptions
{
    public static readonly DateTimeOffset DefaultStart = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Faults the testbed injects once set in the plan (none by default).</summary>
    public FaultPlan? Faults { get; init; }

    /// <summary>Where the fake clock starts.</summary>
    public DateTimeOffset Start { get; init; } = DefaultStart;

    /// <summary>How long a wait (idle, seed, start-up) may take before the test fails.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Extra service registrations of the app, after the fake clock.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Changes the app's sidecar options before it starts (e.g. an API token).</summary>
    public Func<SidecarOptions, SidecarOptions>? Sidecar { get; init; }
}

/// <summary>
/// One of our services in memory beside its test sidecar on a fresh testbed, as `dapr run -f .`
/// would load it: its state store, pub/sub and bindings from Contracts, the pub/sub scopes of
/// the real component file, and a fake clock that moves only when the test says so. Sidecars of
/// the other apps start on demand, to publish as an event's real publisher or to call as another app.
/// </summary>
public class ServiceHost<TEntryPoint> : IAsyncDisposable
    where TEntryPoint : class
{
    // An injected publish fault is retried as the outbox would; the plan's odds keep this far from reached.
    private const int PublishAttempts = 20;

    private readonly ServiceHostOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Task<(Sidecar Sidecar, DaprClient Client)>> _others = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _disposables = [];

    protected internal ServiceHost(string appId, ServiceHostOptions? options = null)
    {
        _options = options ?? new ServiceHostOptions();
        AppId = appId;
        Clock = new FakeTimeProvider(_options.Start);
        Testbed = new Testbed(_options.Faults, timeProvider: Clock);
        Testbed.PubSub(Components.PubSub, ComponentFiles.PubSubMetadata());
    }

    public string AppId { get; }

    public Testbed Testbed { get; }

    public FaultPlan Faults => Testbed.Faults;

    public FakeTimeProvider Clock { get; }

    public DateTimeOffset Now => Clock.GetUtcNow();

    public TimeSpan Deadline => _options.Deadline;

    public Sidecar Sidecar { get; private set; } = null!;

    public SidecarAppFactory<TEntryPoint> Factory { get; private set; } = null!;

    public IServiceProvider Services => Factory.Services;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The app's own DaprClient, to put its store in a state a crash could leave.</summary>
    public DaprClient AppDapr => Services.GetRequiredService<DaprClient>();

    /// <summary>Starts the app's sidecar and the app, for a subclass's own StartAsync.</summary>
    protected internal static async Task<THost> LaunchAsync<THost>(THost host)
        where THost : ServiceHost<TEntryPoint>
    {
        var options = new SidecarOptions(host.AppId)
        {
            StateStores = [Components.StoreOf[host.AppId]],
            PubSubs = [Components.PubSub],
            Bindings = Components.BindingsOf[host.AppId],
        };
        host.Sidecar = await host.Testbed.StartSidecarAsync(host._options.Sidecar?.Invoke(options) ?? options);
        await host.StartAppAsync();
        return host;
    }

    /// <summary>Starts (or, after <see cref="StopAppAsync"/>, restarts) the app, then waits until it is <see cref="ReadyAsync">ready</see>.</summary>
    public async Task StartAppAsync()
    {
        Factory = await new SidecarAppFactory<TEntryPoint>(Sidecar, s =>
        {
            s.AddSingleton<TimeProvider>(Clock);
            _options.ConfigureServices?.Invoke(s);
        }).StartAsync();
        Http = Factory.CreateClient();
        await ReadyAsync().WaitAsync(Deadline);
    }

    /// <summary>What the app does at start before a test may begin (a demo seed, a recovery pass).</summary>
    protected virtual Task ReadyAsync() => Task.CompletedTask;

    /// <summary>Stops the app as a crash would: its sidecar and state stay.</summary>
    public async Task StopAppAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
    }

    public async Task RestartAppAsync()
    {
        await StopAppAsync();
        await StartAppAsync();
    }

    /// <summary>The sidecar of <paramref name="appId"/> (this app's own, or another's started on first use, with no app).</summary>
    public async Task<Sidecar> SidecarOfAsync(string appId) => (await OtherAsync(appId)).Sidecar;

    /// <summary>A DaprClient on the sidecar of <paramref name="appId"/>, e.g. to publish or invoke as that app.</summary>
    public async Task<DaprClient> ClientAsync(string appId) => (await OtherAsync(appId)).Client;

    private Task<(Sidecar Sidecar, DaprClient Client)> OtherAsync(string appId)
    {
        lock (_gate)
        {
            if (!_others.TryGetValue(appId, out var other))
            {
                other = appId == AppId ? Task.FromResult((Sidecar, Sidecar.NewDaprClient(Sidecar.Options.DaprApiToken))) : StartOtherAsync(appId);
                _others[appId] = other;
            }
            return other;
        }
    }

    private async Task<(Sidecar, DaprClient)> StartOtherAsync(string appId)
    {
        var sidecar = await Testbed.StartSidecarAsync(new SidecarOptions(appId) { PubSubs = [Components.PubSub] });
        return (sidecar, sidecar.NewDaprClient());
    }

    /// <summary>
    /// An HttpClient that reaches this app through Dapr service invocation from a sidecar of
    /// <paramref name="callerAppId"/>, so the app sees that id in dapr-caller-app-id.
    /// </summary>
    public async Task<HttpClient> InvokerAsync(string callerAppId)
    {
        var client = (await ClientAsync(callerAppId)).CreateInvokableHttpClient(AppId);
        lock (_gate) _disposables.Add(client);
        return client;
    }

    /// <summary>Publishes as its real publisher does (cloudevent.type and id, partitionKey) and waits until every delivery is over.</summary>
    public async Task PublishAsync<TEvent>(TEvent integrationEvent) where TEvent : IIntegrationEvent
    {
        await SendAsync(integrationEvent);
        await IdleAsync();
    }

    /// <summary>Publishes as its real publisher does without waiting for the handlers.</summary>
    public async Task SendAsync<TEvent>(TEvent integrationEvent) where TEvent : IIntegrationEvent
    {
        var metadata = new Dictionary<string, string>
        {
            ["cloudevent.type"] = Topics.EventType(TEvent.Topic),
            // One id for every attempt, as the outbox republishes: a retried publish is not a second event.
            ["cloudevent.id"] = Guid.NewGuid().ToString("N"),
            ["partitionKey"] = integrationEvent.OrderId,
        };
        var client = await ClientAsync(ServiceHost.PublisherOf(TEvent.Topic));
        await RetryingAsync(() => client.PublishEventAsync(Components.PubSub, TEvent.Topic, integrationEvent, metadata));
    }

    /// <summary>Publishes any payload on a topic from its publisher, as a broken one might, and waits until idle.</summary>
    public async Task PublishRawAsync(string topic, object data)
    {
        var client = await ClientAsync(ServiceHost.PublisherOf(topic));
        await RetryingAsync(() => client.PublishEventAsync(Components.PubSub, topic, data));
        await IdleAsync();
    }

    private static async Task RetryingAsync(Func<Task> publish)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await publish();
                return;
            }
            catch (Dapr.DaprException) when (attempt < PublishAttempts)
            {
            }
        }
    }

    public Task IdleAsync() => Testbed.WaitForIdleAsync(Deadline);

    public IReadOnlyList<CloudEvent> Published(string topic) => Testbed.PubSub(Components.PubSub).Published(topic);

    public IReadOnlyList<TEvent> Published<TEvent>() where TEvent : IIntegrationEvent =>
        Published(TEvent.Topic).Select(e => e.Envelope["data"].Deserialize<TEvent>(ServiceDefaultsExtensions.JsonOptions)!).ToList();

    /// <summary>What this app's sidecar dead-lettered.</summary>
    public IReadOnlyList<CloudEvent> DeadLetters() => Published(Topics.DeadLetters(AppId));

    /// <summary>GETs <paramref name="path"/> as <typeparamref name="T"/>; null when the app answers 404.</summary>
    public async Task<T?> GetAsync<T>(string path) where T : class
    {
        using var response = await Http.GetAsync(new Uri(path, UriKind.Relative));
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(ServiceDefaultsExtensions.JsonOptions);
    }

    public Task<HttpResponseMessage> PostAsync(string path) => Http.PostAsync(new Uri(path, UriKind.Relative), null);

    /// <summary>POSTs a JSON body, as <paramref name="caller"/>'s sidecar would; see <see cref="SendJsonAsync"/>.</summary>
    public Task<HttpResponseMessage> PostJsonAsync(string path, object? body, string? caller = null) =>
        SendJsonAsync(HttpMethod.Post, path, body, caller);

    /// <summary>
    /// Sends a JSON body (a string as is, null as `{}`, anything else in the services' JSON) with
    /// the dapr-caller-app-id the sidecar of <paramref name="caller"/> sets (null: none).
    /// </summary>
    public async Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, object? body = null, string? caller = null)
    {
        var json = body as string ?? (body is null ? "{}" : JsonSerializer.Serialize(body, ServiceDefaultsExtensions.JsonOptions));
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (caller is not null) request.Headers.Add("dapr-caller-app-id", caller);
        return await Http.SendAsync(request);
    }

    public Task<HttpStatusCode?> TriggerAsync(string binding) => Sidecar.TriggerBindingAsync(binding);

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        foreach (var disposable in _disposables) disposable.Dispose();
        foreach (var other in _others.Values)
        {
            var (sidecar, client) = await other;
            client.Dispose();
            if (sidecar != Sidecar) await sidecar.DisposeAsync();
        }
        await Sidecar.DisposeAsync();
        await Testbed.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public static class ServiceHost
{
    /// <summary>Starts a service as configured, for tests that need nothing service-specific.</summary>
    public static Task<ServiceHost<TEntryPoint>> StartAsync<TEntryPoint>(string appId, ServiceHostOptions? options = null)
        where TEntryPoint : class =>
        ServiceHost<TEntryPoint>.LaunchAsync(new ServiceHost<TEntryPoint>(appId, options));

    /// <summary>The app that may publish on <paramref name="topic"/> under the component's scopes.</summary>
    public static string PublisherOf(string topic) => AppIds.All.First(a => Topology.PublishingScope(a).Contains(topic));
}

/// <summary>The one way tests and the benchmark make a DaprClient on a test sidecar.</summary>
public static class SidecarClients
{
    /// <summary>A DaprClient on both of the sidecar's endpoints, in the services' JSON.</summary>
    public static DaprClient NewDaprClient(this Sidecar sidecar, string? daprApiToken = null)
    {
        var builder = new DaprClientBuilder()
            .UseGrpcEndpoint(sidecar.GrpcEndpoint.ToString())
            .UseHttpEndpoint(sidecar.HttpEndpoint.ToString())
            .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions);
        if (daprApiToken is not null) builder.UseDaprApiToken(daprApiToken);
        return builder.Build();
    }
}
