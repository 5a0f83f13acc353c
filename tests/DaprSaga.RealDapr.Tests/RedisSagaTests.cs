namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// Both flows, the orchestration on each engine of order-process-service (its runner, Dapr
/// Workflow), against real daprd sidecars with Redis for state and pub/sub (the default of dapr.yaml).
/// </summary>
public sealed class RedisSagaTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    [SkippableTheory]
    [InlineData(Flow.Choreography)]
    [InlineData(Flow.Runner)]
    [InlineData(Flow.Workflow)]
    public async Task AHappyOrderCompletes(Flow flow)
    {
        DockerEngine.SkipIfUnavailable();
        await SagaScenarios.HappyOrderCompletesAsync(await fixture.ClusterAsync(), flow);
    }

    [SkippableTheory]
    [InlineData(Flow.Choreography)]
    [InlineData(Flow.Runner)]
    [InlineData(Flow.Workflow)]
    public async Task AnOrderOfAProductOutOfStockIsCancelled(Flow flow)
    {
        DockerEngine.SkipIfUnavailable();
        await SagaScenarios.OutOfStockOrderIsCancelledAsync(await fixture.ClusterAsync(), flow);
    }

    [SkippableTheory]
    [InlineData(Flow.Choreography)]
    [InlineData(Flow.Runner)]
    [InlineData(Flow.Workflow)]
    public async Task ACustomerWithoutEnoughCreditHasTheOrderCancelled(Flow flow)
    {
        DockerEngine.SkipIfUnavailable();
        await SagaScenarios.InsufficientCreditOrderIsCancelledAsync(await fixture.ClusterAsync(), flow);
    }

    [SkippableTheory]
    [InlineData(Flow.Choreography)]
    [InlineData(Flow.Runner)]
    [InlineData(Flow.Workflow)]
    public async Task AnOrderToAZoneWithoutCouriersIsRefundedReleasedAndCancelled(Flow flow)
    {
        DockerEngine.SkipIfUnavailable();
        await SagaScenarios.NoCourierOrderIsRefundedReleasedAndCancelledAsync(await fixture.ClusterAsync(), flow);
    }
}
