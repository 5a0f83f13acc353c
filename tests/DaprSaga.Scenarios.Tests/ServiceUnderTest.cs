using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.Scenarios.Tests;

/// <summary>One service of the saga beside its sidecar; it can be stopped and started again.</summary>
public sealed class ServiceUnderTest
{
    private readonly Func<Task<(HttpClient Client, IAsyncDisposable Host)>> _start;
    private (HttpClient Client, IAsyncDisposable Host)? _running;

    private ServiceUnderTest(Sidecar sidecar, Func<Task<(HttpClient, IAsyncDisposable)>> start, int replica) =>
        (Sidecar, _start, Replica) = (sidecar, start, replica);

    public Sidecar Sidecar { get; }

    public string AppId => Sidecar.AppId;

    /// <summary>Which instance of the app this is, from 1.</summary>
    public int Replica { get; }

    /// <summary>The app id, with the replica's number from the second replica on (e.g. "order-service#2").</summary>
    public string Name => Replica == 1 ? AppId : $"{AppId}#{Replica}";

    public bool IsRunning => _running is not null;

    public HttpClient Http => _running?.Client ?? throw new InvalidOperationException($"{AppId} is stopped");

    /// <param name="onRealSocket">Kestrel on a free loopback port instead of the in-memory server, for clients outside the process (a browser); <see cref="Http"/>'s BaseAddress is then its URL.</param>
    /// <param name="replica">Which instance of the app this is, from 1.</param>
    public static ServiceUnderTest For<TEntryPoint>(Sidecar sidecar, Action<IServiceCollection> configureServices, bool onRealSocket = false, int replica = 1)
        where TEntryPoint : class =>
        new(sidecar, async () =>
        {
            var factory = new SidecarAppFactory<TEntryPoint>(sidecar, configureServices);
            if (onRealSocket) factory.UseKestrel(0);
            await factory.StartAsync();
            return (factory.CreateClient(), factory);
        }, replica);

    public async Task StartAsync() => _running ??= await _start();

    /// <summary>Stops the app as a crash would: in-flight deliveries fail and wait; its sidecar and state stay.</summary>
    public async Task StopAsync()
    {
        if (_running is not { } running) return;
        _running = null;
        running.Client.Dispose();
        await running.Host.DisposeAsync();
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }
}
