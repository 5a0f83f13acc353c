namespace DaprSaga.Tests;

/// <summary>A test class whose every test gets a fresh host (a service, a cluster), started before and disposed after.</summary>
public abstract class HostedTest<THost>(Func<Task<THost>> start) : IAsyncLifetime
    where THost : IAsyncDisposable
{
    protected THost Host { get; private set; } = default!;

    public async Task InitializeAsync() => Host = await start();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
