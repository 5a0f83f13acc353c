namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// One cluster per broker, shared by the tests of a class and started by the first test that
/// asks for it (after its Docker check), so a machine without Docker never touches one.
/// The scenarios therefore compare stock and credit before and after, never absolute values.
/// </summary>
public abstract class ClusterFixture(Broker broker) : IAsyncLifetime
{
    private readonly Lazy<Task<RealDaprCluster>> _cluster = new(() => RealDaprCluster.StartAsync(broker));

    public Task<RealDaprCluster> ClusterAsync() => _cluster.Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (!_cluster.IsValueCreated) return;
        // A cluster that failed to start has cleaned up after itself already.
        if (await _cluster.Value.ContinueWith(t => t, TaskScheduler.Default) is { IsCompletedSuccessfully: true } started)
            await started.Result.DisposeAsync();
    }
}

public sealed class RedisClusterFixture() : ClusterFixture(Broker.Redis);

public sealed class RabbitMqClusterFixture() : ClusterFixture(Broker.RabbitMq);

public sealed class KafkaClusterFixture() : ClusterFixture(Broker.Kafka);
