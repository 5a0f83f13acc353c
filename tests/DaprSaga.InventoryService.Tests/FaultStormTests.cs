using DaprSaga.InventoryService.Reservations;

namespace DaprSaga.InventoryService.Tests;

/// <summary>Seeded duplicates, reordering, lost acks and sidecar errors, then calm and sweeps: stock still adds up.</summary>
public sealed class FaultStormTests
{
    // When the events occurred: the host's start, well inside the retention window.
    private static readonly DateTimeOffset At = ServiceHostOptions.DefaultStart;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task StockAddsUpAndEveryDecisionIsPublishedAfterAStorm(int seed)
    {
        var faults = new FaultPlan(seed);
        await using var app = await InventoryApp.StartAsync(faults);
        faults.With(FaultKind.DuplicateDelivery, 0.3).With(FaultKind.ReorderDelivery, 0.3).With(FaultKind.LostAck, 0.2)
            .With(FaultKind.StateError, 0.05).With(FaultKind.PublishError, 0.05);
        var random = new Random(seed);
        const int Orders = 24;

        for (var i = 0; i < Orders; i++)
        {
            await app.SendAsync(new OrderPlaced($"o-{i}", SagaFlow.Choreography, "alice",
                [new("widget", random.Next(1, 5), 10.00m), new("gizmo", 1, 99.00m)], 0m, "north", true, At));
            // Some cancellations overtake their order-placed.
            if (i % 4 == 0) await app.SendAsync(new OrderCancelled($"o-{i}", SagaFlow.Choreography, CancellationReason.CustomerCancelled, At));
        }
        await app.IdleAsync();
        for (var i = 1; i < Orders; i += 4) await app.SendAsync(new OrderCancelled($"o-{i}", SagaFlow.Choreography, CancellationReason.SagaTimedOut, At));
        for (var i = 2; i < Orders; i += 4) await app.SendAsync(new OrderCompleted($"o-{i}", SagaFlow.Choreography, At));
        await app.IdleAsync();

        faults.With(FaultKind.DuplicateDelivery, 0).With(FaultKind.ReorderDelivery, 0).With(FaultKind.LostAck, 0)
            .With(FaultKind.StateError, 0).With(FaultKind.PublishError, 0);
        await app.SweepAsync();
        await app.IdleAsync();

        var products = await app.ProductsAsync();
        var reservations = new List<Reservation>();
        for (var i = 0; i < Orders; i++)
        {
            if (await app.StoredReservationAsync($"o-{i}") is { } r) reservations.Add(r);
        }
        var context = $"seed {seed}, injected {string.Join(", ", faults.Injected)}";
        Assert.All(products, p => Assert.True(p.Received == p.OnHand + p.Reserved + p.Sold, context));
        Assert.DoesNotContain(reservations, r => r.IsUnfinished);
        // A record that was never listed keeps its last events once sent: each must have gone out.
        Assert.All(reservations.SelectMany(r => r.Outbox), m => Assert.Contains(app.Published(m.Topic), e => e.Id == m.Id));
        foreach (var p in products)
        {
            Assert.Equal(reservations.Where(r => r.Phase == ReservationPhase.Reserved).Sum(r => r.Quantities.GetValueOrDefault(p.ProductId)), p.Reserved);
            Assert.Equal(reservations.Where(r => r.Phase == ReservationPhase.Committed).Sum(r => r.Quantities.GetValueOrDefault(p.ProductId)), p.Sold);
        }
        // gizmo had 3: at most three orders hold or bought one; and each decision went out.
        Assert.True(reservations.Count(r => r.Phase is ReservationPhase.Reserved or ReservationPhase.Committed) <= 3, context);
        var reserved = app.Published<StockReserved>().Select(e => e.OrderId).ToHashSet();
        var failed = app.Published<StockReservationFailed>().Select(e => e.OrderId).ToHashSet();
        Assert.All(reservations.Where(r => r.Phase == ReservationPhase.Rejected), r => Assert.Contains(r.OrderId, failed));
        Assert.All(reservations.Where(r => r.Phase is ReservationPhase.Reserved or ReservationPhase.Committed), r => Assert.Contains(r.OrderId, reserved));
        Assert.Empty(reserved.Intersect(failed));
    }
}
