using DaprSaga.DeliveryService.Deliveries;
using Xunit.Abstractions;

namespace DaprSaga.DeliveryService.Tests;

/// <summary>
/// State keys delivery-service reads and writes for one saga's worth of messages, counted by its
/// sidecar: the benchmark's cost is set by them. The counts are deterministic. Before the zone
/// rosters, the choice made in the request's write and the unfinished list kept by the outbox's
/// hook, they were 32 (bench zone), 24 (north), 25 (no courier, then cancelled) and 6 (tombstone);
/// before the slot taken on the choice's read and the list left in the sweep, 17, 17, 8 and 2;
/// before the unfinished list merged into the outbox listing, the first two were allowed 12; before
/// deliveries and commands stopped listing what their repeat would send, 10, 10 and 6.
/// </summary>
public sealed class CallBudgetTests(ITestOutputHelper output) : HostedTest<DeliveryHost>(() => DeliveryHost.StartAsync())
{
    private const string BenchZone = "bench";
    /// <summary>The benchmark's own couriers: eight in one zone, beside the four demo couriers.</summary>
    private async Task RegisterBenchCouriersAsync()
    {
        for (var k = 0; k < 8; k++)
        {
            using var response = await Host.Http.PutAsJsonAsync($"/couriers/bench-courier-{k}", new { name = $"Bench {k}", zone = BenchZone, capacity = 100 });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    /// <summary>Runs <paramref name="saga"/> and returns the state keys it read and wrote, by "{kind} {key family}".</summary>
    private async Task<IReadOnlyDictionary<string, long>> CountAsync(Func<Task> saga)
    {
        await Host.IdleAsync();
        var before = Host.Sidecar.Calls.ByKeyFamily();
        var callsBefore = Host.Sidecar.Calls.Snapshot();
        await saga();
        await Host.IdleAsync();
        var calls = Host.Sidecar.Calls.Snapshot().Select(c => (c.Key, Count: c.Value - callsBefore.GetValueOrDefault(c.Key))).Where(c => c.Count > 0);
        output.WriteLine($"calls: {string.Join(", ", calls.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Count}"))}");
        var counted = ServiceAssert.SpentSince(Host.Sidecar.Calls, before);
        foreach (var (family, count) in counted.OrderBy(c => c.Key, StringComparer.Ordinal)) output.WriteLine($"{count,3} {family}");
        output.WriteLine($"{counted.Values.Sum(),3} in all");
        return counted;
    }

    private static long Total(IReadOnlyDictionary<string, long> counted) => counted.Values.Sum();

    [Fact]
    public async Task AHappyChoreographedDeliveryInTheBenchZoneStaysWithinItsBudget()
    {
        await RegisterBenchCouriersAsync();

        var counted = await CountAsync(() => Host.ConfirmAsync("o-budget", BenchZone));

        Assert.Equal(DeliveryStatus.Scheduled, (await Host.DeliveryAsync("o-budget"))?.Status);
        Assert.True(Total(counted) <= 8, $"{Total(counted)} state keys");
        // Two of the zone's couriers compared, and the one asked takes the slot on that read; no other zone's courier, no catalogue.
        Assert.Equal(2, counted.GetValueOrDefault("StateRead courier-bench-courier-#"));
        Assert.DoesNotContain(counted.Keys, family => family.Contains("courier-c-", StringComparison.Ordinal) || family.Contains("couriers-index", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AHappyOrchestratedDeliveryInNorthStaysWithinItsBudget()
    {
        var counted = await CountAsync(async () =>
        {
            using var response = await Host.AsOrchestrator.PostAsJsonAsync("/deliveries/o-budget", new { zone = "north", flow = "Orchestration" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });

        Assert.True(Total(counted) <= 8, $"{Total(counted)} state keys");
    }

    [Fact]
    public async Task ADeliveryWithNoCourierInItsZoneAndItsCancellationStayWithinTheirBudget()
    {
        var counted = await CountAsync(async () =>
        {
            await Host.ConfirmAsync("o-budget", "west");
            await Host.IdleAsync();
            await Host.CancelAsync("o-budget", CancellationReason.NoCourierAvailable);
        });

        Assert.Equal(DeliveryStatus.Failed, (await Host.DeliveryAsync("o-budget"))?.Status);
        // Never under way, and not listed: each delivery comes back until its events are sent.
        Assert.True(Total(counted) <= 4, $"{Total(counted)} state keys");
    }

    [Fact]
    public async Task ACancellationBeforeAnyDeliveryStaysWithinItsBudget()
    {
        var counted = await CountAsync(() => Host.CancelAsync("o-budget", CancellationReason.OutOfStock));

        Assert.Equal(DeliveryStatus.Cancelled, (await Host.DeliveryAsync("o-budget"))?.Status);
        Assert.True(Total(counted) <= 2, $"{Total(counted)} state keys");
    }
}
