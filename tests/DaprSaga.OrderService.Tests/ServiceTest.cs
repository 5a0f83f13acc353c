namespace DaprSaga.OrderService.Tests;

/// <summary>A fresh order-service (and testbed) for every test.</summary>
public abstract class ServiceTest : IAsyncLifetime
{
    protected OrderServiceHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await OrderServiceHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
