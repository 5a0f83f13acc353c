namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// The choreography over a broker other than Redis, state still in Redis: a happy order, and one
/// undone after its payment, on the cluster of <typeparamref name="TFixture"/>.
/// </summary>
public abstract class ChoreographyOverBrokerTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ClusterFixture
{
    [SkippableTheory]
    [InlineData(Scenario.HappyOrderCompletes)]
    [InlineData(Scenario.NoCourierOrderIsRefundedReleasedAndCancelled)]
    public async Task TheChoreographyEndsAsTheScenarioSays(Scenario scenario)
    {
        DockerEngine.SkipIfUnavailable();
        await SagaScenarios.RunAsync(await fixture.ClusterAsync(), scenario, Flow.Choreography);
    }
}
