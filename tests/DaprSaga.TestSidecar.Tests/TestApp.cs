using Dapr.Client;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>
/// A small ASP.NET Core app wired like our services (ServiceDefaults: AddDaprClient from
/// configuration, UseCloudEvents, MapSubscribeHandler) on a loopback port, beside its own test
/// sidecar. Tests map whatever endpoints they need.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private LoopbackApp? _app;
    private readonly Action<WebApplication> _map;
    private Testbed? _ownTestbed;

    private TestApp(Sidecar sidecar, Action<WebApplication> map) => (Sidecar, _map) = (sidecar, map);

    public Sidecar Sidecar { get; }

    public Testbed Testbed => Sidecar.Testbed;

    public Recorder Recorder { get; } = new();

    public DaprClient Dapr => _app!.Dapr;

    public Uri Address => _app!.Address;

    public static async Task<TestApp> StartAsync(Testbed testbed, SidecarOptions options, Action<WebApplication> map)
    {
        var sidecar = await testbed.StartSidecarAsync(options);
        var app = new TestApp(sidecar, map);
        await app.StartAppAsync();
        return app;
    }

    /// <summary>Starts the app beside its sidecar on a fresh testbed of its own, disposed with the app.</summary>
    public static async Task<TestApp> StartAsync(SidecarOptions options, Action<WebApplication> map)
    {
        var testbed = new Testbed();
        try
        {
            var app = await StartAsync(testbed, options, map);
            app._ownTestbed = testbed;
            return app;
        }
        catch
        {
            await testbed.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the app and connects its sidecar to it (again, after <see cref="StopAppAsync"/>).</summary>
    public async Task StartAppAsync() =>
        _app = await LoopbackApp.StartAsync(Sidecar, "test-app", _map,
            configure: builder => builder.Services.AddSingleton(Recorder),
            middleware: app => app.Use(async (http, next) =>
            {
                // Keep the raw envelope before UseCloudEvents unwraps it, so tests can check every field.
                if (http.Request.ContentType?.StartsWith("application/cloudevents+json", StringComparison.Ordinal) == true)
                {
                    http.Items["content-type"] = http.Request.ContentType;
                    http.Request.EnableBuffering();
                    http.Items["envelope"] = JsonNode.Parse(await new StreamReader(http.Request.Body, leaveOpen: true).ReadToEndAsync());
                    http.Request.Body.Position = 0;
                }
                await next(http);
            }));

    /// <summary>Stops the app as a crash would: the sidecar stays, its app is gone.</summary>
    public async Task StopAppAsync()
    {
        await _app!.DisposeAsync();
        _app = null;
    }

    /// <summary>Records a delivery and answers with what <paramref name="answer"/> returns.</summary>
    public static RequestDelegate Recording(string route, Func<int, IResult>? answer = null) => async http =>
    {
        var recorder = http.RequestServices.GetRequiredService<Recorder>();
        var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
        var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        recorder.Add(new Received(
            route, headers, http.Items["content-type"] as string ?? http.Request.ContentType ?? "", body.Length == 0 ? null : JsonNode.Parse(body),
            http.Items["envelope"] as JsonObject));
        var result = answer?.Invoke(recorder.At(route).Count) ?? Results.Ok();
        await result.ExecuteAsync(http);
    };

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await StopAppAsync();
        await Sidecar.DisposeAsync();
        if (_ownTestbed is not null) await _ownTestbed.DisposeAsync();
    }
}
