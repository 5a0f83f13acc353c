
namespace DaprSaga.TestSidecar.Tests;

/// <summary>
/// Cron input bindings: the start-up `OPTIONS /{name}` probe (2xx or 405 enables the binding)
/// and `POST /{name}` with `Content-Type: application/json` on every trigger.
/// </summary>
public sealed class BindingTests : IAsyncDisposable
{
    private const string Tick = "tick";
    private readonly Testbed _testbed = new();
    private readonly List<TestApp> _apps = [];

    private async Task<TestApp> StartAsync(Action<WebApplication> map, IReadOnlyList<string>? bindings = null)
    {
        var app = await TestApp.StartAsync(_testbed, new SidecarOptions($"cron-app-{_apps.Count}") { Bindings = bindings ?? [Tick] }, map);
        _apps.Add(app);
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        await _testbed.DisposeAsync();
    }

    [Fact]
    public async Task AspNetCoreAnswersOptionsWith405WhenOnlyPostIsMapped()
    {
        var app = await StartAsync(a => a.MapPost("/tick", TestApp.Recording(Tick)));
        using var http = new HttpClient { BaseAddress = app.Address };

        using var request = new HttpRequestMessage(HttpMethod.Options, "/tick");
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task AnAppMappingOnlyPostGetsAPostOnEveryTrigger()
    {
        var app = await StartAsync(a => a.MapPost("/tick", TestApp.Recording(Tick)));

        Assert.Equal(HttpStatusCode.OK, await app.Sidecar.TriggerBindingAsync(Tick));
        Assert.Equal(HttpStatusCode.OK, await app.Sidecar.TriggerBindingAsync(Tick));

        Assert.Equal(2, app.Recorder.At(Tick).Count);
        Assert.Equal(2, app.Sidecar.Calls[SidecarCallKind.Binding]);
    }

    [Fact]
    public async Task TheBindingPostCarriesJsonContentTypeAndNoBody()
    {
        var app = await StartAsync(a => a.MapPost("/tick", TestApp.Recording(Tick)));

        await app.Sidecar.TriggerBindingAsync(Tick);

        var received = Assert.Single(app.Recorder.At(Tick));
        Assert.Equal("application/json", received.ContentType.Split(';')[0].Trim());
        Assert.Null(received.Body);
    }

    [Fact]
    public async Task AnAppAnsweringTheProbeWith401NeverGetsThePost()
    {
        var app = await StartAsync(a =>
        {
            a.MapMethods("/tick", [HttpMethods.Options], () => Results.Unauthorized());
            a.MapPost("/tick", TestApp.Recording(Tick));
        });

        Assert.Null(await app.Sidecar.TriggerBindingAsync(Tick));

        Assert.Empty(app.Recorder.All);
        Assert.Equal(0, app.Sidecar.Calls[SidecarCallKind.Binding]);
    }

    [Fact]
    public async Task AnAppWithoutTheRouteAnswersTheProbeWith404AndTheBindingStaysOff()
    {
        var app = await StartAsync(a => a.MapPost("/other", TestApp.Recording("other")));

        Assert.Null(await app.Sidecar.TriggerBindingAsync(Tick));
        Assert.Empty(app.Recorder.All);
    }

    [Fact]
    public async Task AProbeAnswered2xxEnablesTheBindingAndIsSentAsJson()
    {
        var app = await StartAsync(a =>
        {
            a.MapMethods("/tick", [HttpMethods.Options], TestApp.Recording("probe"));
            a.MapPost("/tick", TestApp.Recording(Tick));
        });

        var probe = Assert.Single(app.Recorder.At("probe"));
        Assert.Equal("application/json", probe.ContentType.Split(';')[0].Trim());
        Assert.Equal(HttpStatusCode.OK, await app.Sidecar.TriggerBindingAsync(Tick));
        Assert.Single(app.Recorder.At(Tick));
    }

    [Fact]
    public async Task TheAppsStatusCodeIsWhatTheTriggerReturns()
    {
        var app = await StartAsync(a => a.MapPost("/tick", TestApp.Recording(Tick, _ => Results.StatusCode(503))));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await app.Sidecar.TriggerBindingAsync(Tick));
        Assert.Single(app.Recorder.At(Tick));
    }

    [Fact]
    public async Task ABindingTheSidecarDoesNotLoadIsNeverTriggered()
    {
        var app = await StartAsync(a => a.MapPost("/tick", TestApp.Recording(Tick)), bindings: []);

        Assert.Null(await app.Sidecar.TriggerBindingAsync(Tick));
        Assert.Empty(app.Recorder.All);
    }

    [Fact]
    public async Task TheBindingPausesWhileTheAppIsDownAndIsProbedAgainOnRestart()
    {
        var app = await StartAsync(a => a.MapPost("/tick", TestApp.Recording(Tick)));

        await app.StopAppAsync();
        Assert.Null(await app.Sidecar.TriggerBindingAsync(Tick));
        await app.StartAppAsync();

        Assert.Equal(HttpStatusCode.OK, await app.Sidecar.TriggerBindingAsync(Tick));
        Assert.Single(app.Recorder.At(Tick));
    }
}
