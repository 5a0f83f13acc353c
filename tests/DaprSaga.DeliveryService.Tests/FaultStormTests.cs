using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.ServiceDefaults.Messaging;
using Xunit.Abstractions;

namespace DaprSaga.DeliveryService.Tests;

/// <summary>
/// More orders than slots in one zone, confirmed, cancelled and reported delivered at once under
/// seeded duplicates, reordering, delays, lost acks and failing state calls; once quiet and swept,
/// no courier is above capacity and every slot held belongs to a scheduled delivery.
/// </summary>
public sealed class FaultStormTests(ITestOutputHelper output)
{
    private const string Zone = "storm";
    private const int Couriers = 5, Capacity = 3, Orders = 30;

    private static readonly FaultKind[] Storm =
        [FaultKind.DuplicateDelivery, FaultKind.ReorderDelivery, FaultKind.DelayDelivery, FaultKind.LostAck, FaultKind.StateError];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task NoCourierGoesAboveCapacityAndNoSlotLeaks(int seed)
    {
        output.WriteLine($"seed {seed}");
        var faults = new FaultPlan(seed);
        await using var host = await DeliveryHost.StartAsync(faults);
        for (var k = 0; k < Couriers; k++)
        {
            using var created = await host.Http.PutAsJsonAsync($"/couriers/storm-{k}", new { name = $"Storm {k}", zone = Zone, capacity = Capacity });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        foreach (var kind in Storm) faults.With(kind, kind == FaultKind.StateError ? 0.02 : 0.2);
        await Task.WhenAll(Enumerable.Range(0, Orders).Select(async i =>
        {
            var orderId = $"o-storm-{i}";
            await host.ConfirmAsync(orderId, Zone);
            if (i % 3 == 0) await host.CancelAsync(orderId);
            // A failing state call may fail the report too: the courier's client would try again later.
            if (i % 5 == 1) (await host.Http.PostAsync($"/deliveries/{orderId}/delivered", null)).Dispose();
        }));
        await host.IdleAsync();
        foreach (var kind in Storm) faults.With(kind, 0);
        // What the cron binding does: carry on every step a dead-lettered message or a failed call left.
        Assert.Equal(HttpStatusCode.OK, await host.Sidecar.TriggerBindingAsync(Components.OutboxSweep));
        await host.IdleAsync();
        output.WriteLine($"injected {string.Join(", ", faults.Injected.Select(f => $"{f.Key} {f.Value}"))}; dead-lettered {host.Testbed.DeadLettered}");

        var deliveries = host.StoredDeliveries();
        Assert.All(deliveries, d => Assert.True(d.IsAtRest, $"{d.OrderId} is {d.Phase}"));
        host.AssertCourierInvariants();
        var held = host.StoredCouriers()
            .SelectMany(c => c.Assignments.Where(a => a.Value == AssignmentState.Active).Select(a => (OrderId: a.Key, c.CourierId)))
            .OrderBy(h => h.OrderId, StringComparer.Ordinal).ToList();
        var scheduled = deliveries.Where(d => d.Phase == DeliveryPhase.Scheduled)
            .Select(d => (d.OrderId, CourierId: d.CourierId!)).OrderBy(h => h.OrderId, StringComparer.Ordinal).ToList();
        Assert.Equal(scheduled, held);
        Assert.All(deliveries.Where(d => d.CourierId is not null),
            d => Assert.Single(host.PublishedFor(Topics.DeliveryScheduled, d.OrderId)));
        // All at rest, so the next sweep past their listing time unlists every one.
        host.Clock.Advance(Outbox.ListedAtLeast);
        Assert.Equal(HttpStatusCode.OK, await host.Sidecar.TriggerBindingAsync(Components.OutboxSweep));
        Assert.Empty(await Listing.KeysAsync(host.AppDapr, Components.DeliveryStore));
    }
}
