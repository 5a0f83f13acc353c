namespace DaprSaga.RealDapr.Tests;

/// <summary>The choreography over RabbitMq (components/pubsub/rabbitmq), state still in Redis.</summary>
public sealed class RabbitMqSagaTests(RabbitMqClusterFixture fixture) : IClassFixture<RabbitMqClusterFixture>
{
    [SkippableFact]
    public async Task AHappyOrderCompletes()
    {
        DockerEngine.SkipIfUnavailable();
        await SagaScenarios.HappyOrderCompletesAsync(await fixture.ClusterAsync(), Flow.Choreography);
    }

    [SkippableFact]
    public async Task AnOrderToAZoneWithoutCouriersIsRefundedReleasedAndCancelled()
    {
        DockerEngine.SkipIfUnavailable();
        await SagaScenarios.NoCourierOrderIsRefundedReleasedAndCancelledAsync(await fixture.ClusterAsync(), Flow.Choreography);
    }
}
