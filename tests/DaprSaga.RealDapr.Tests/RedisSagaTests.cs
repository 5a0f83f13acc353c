namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// Both flows, the orchestration on each engine of order-process-service (its runner, Dapr
/// Workflow), against real daprd sidecars with Redis for state and pub/sub (the default of dapr.yaml).
/// </summary>
public sealed class RedisSagaTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    public static TheoryData<Scenario, Flow> EveryScenarioOnEveryFlow
    {
        get
        {
            var data = new TheoryData<Scenario, Flow>();
            foreach (var scenario in Enum.GetValues<Scenario>())
            {
                foreach (var flow in Enum.GetValues<Flow>()) data.Add(scenario, flow);
            }
            return data;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(EveryScenarioOnEveryFlow))]
    public async Task TheSagaEndsAsTheScenarioSays(Scenario scenario, Flow flow)
    {
        DockerEngine.SkipIfUnavailable();
        await SagaScenarios.RunAsync(await fixture.ClusterAsync(), scenario, flow);
    }
}
