namespace DaprSaga.RealDapr.Tests;

/// <summary>The choreography over Kafka (components/pubsub/kafka), state still in Redis.</summary>
public sealed class KafkaSagaTests(KafkaClusterFixture fixture) : IClassFixture<KafkaClusterFixture>
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
