using System.Diagnostics;
using DaprSaga.Scenarios.Tests.Storm;
using Xunit.Abstractions;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Issue "fault storm": hundreds of random orders of both flows under seeded duplicates,
/// reordering, delays, failed deliveries, lost acks, sidecar state and publish errors, lost
/// invocation responses and service restarts; once quiet, every invariant of docs/architecture.md holds.
/// CI runs <see cref="StormSettings.CiSeeds"/>; see <see cref="StormSettings"/> for replays and
/// longer runs. The summary goes to the test output, the console and TestResults/fault-storm/.
/// </summary>
public sealed class FaultStormTests(ITestOutputHelper output)
{
    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        foreach (var seed in StormSettings.Seeds()) seeds.Add(seed);
        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public Task AFaultStormOfBothFlowsEndsEveryOrderWithEveryInvariantHolding(int seed) => RunStormAsync(seed, replicas: 1);

    /// <summary>
    /// Issue "Replicas": the same storm with two instances of every app (both engines of the
    /// orchestration included), one replica at a time down through a phase of the storm.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public Task AFaultStormOnTwoReplicasOfEveryAppEndsEveryOrderWithEveryInvariantHolding(int seed) => RunStormAsync(seed, replicas: 2);

    private async Task RunStormAsync(int seed, int replicas)
    {
        var started = Stopwatch.GetTimestamp();
        await using var cluster = await SagaCluster.StartAsync(new FaultPlan(seed), replicas: replicas);
        var run = new StormRun(cluster, seed);
        var check = new StormCheck(cluster, run.Http);
        IReadOnlyList<StormOrder> orders = [];
        Exception? crashed = null;
        try
        {
            orders = await run.RunAsync(StormSettings.OrderCount);
            await check.RunAsync(run, orders);
        }
        catch (Exception e)
        {
            // Still print the seed and what was seen so far; the failure is raised below.
            crashed = e;
        }

        var summary = StormSummary.Format(seed, Stopwatch.GetElapsedTime(started), cluster, run, check, orders, crashed);
        var file = StormSummary.WriteFile(seed, summary, replicas);
        output.WriteLine(summary);
        output.WriteLine($"(also written to {file})");
        Console.WriteLine(summary);
        if (crashed is not null) throw new InvalidOperationException($"the storm failed before its checks finished\n{summary}", crashed);
        Assert.True(check.Violations.Count == 0, $"invariants violated\n{summary}");
    }
}
