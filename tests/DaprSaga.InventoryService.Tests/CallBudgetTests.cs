using DaprSaga.InventoryService.Reservations;

namespace DaprSaga.InventoryService.Tests;

/// <summary>
/// The state calls one choreographed saga costs inventory-service, by key family (as the bench
/// counts them): the benchmark is bound by app↔sidecar calls, so a change that adds some fails here.
/// </summary>
public sealed class CallBudgetTests
{
    // When the events occurred: the host's start, well inside the retention window.
    private static readonly DateTimeOffset At = ServiceHostOptions.DefaultStart;

    [Fact]
    public async Task AHappySagaStaysWithinItsBudgetOfStateCalls()
    {
        await using var app = await InventoryApp.StartAsync();
        // A GUID, so the reservation key falls in the family the bench reports ("reservation-{id}").
        var orderId = Guid.NewGuid().ToString();
        var before = app.Sidecar.Calls.ByKeyFamily();

        await app.SendAsync(new OrderPlaced(orderId, SagaFlow.Choreography, "alice", [new("widget", 2, 10.00m)], 20.00m, "north", true, At));
        await app.IdleAsync();
        await app.SendAsync(new OrderCompleted(orderId, SagaFlow.Choreography, At));
        await app.IdleAsync();

        var spent = ServiceAssert.SpentSince(app.Sidecar.Calls, before);
        // The saga really ran to its end, so the count is of a whole saga.
        Assert.Equal(ReservationPhase.Committed, (await app.StoredReservationAsync(orderId))!.Phase);
        var widget = await app.ProductAsync("widget");
        Assert.Equal((998, 0, 2), (widget.OnHand, widget.Reserved, widget.Sold));
        // Reserve: read the products, open (write unread, a first-write; enter the outbox listing
        // first, as it has work left), hold on the product as read (write), reserved (read, write).
        // Commit: committed (read, write, striking off what was sent), sell the hold (read, write);
        // the sweep unlists it once at rest. Before this budget the same saga cost 22: reservation
        // R5 W5, product R2 W2, open index R2 W2, outbox index R1 W1; before the open index merged
        // into the outbox listing, 18; before the open went unread, 17.
        ServiceAssert.WithinBudget(spent,
            ("reservation-{id}", Reads: 4, Writes: 5),
            ("product-widget", 2, 2),
            ("outbox-listing-#", 1, 1));
    }
}
