using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;

namespace DaprSaga.InventoryService.Tests;

public sealed class ReservationTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static readonly IReadOnlyDictionary<string, Product> Products = new[]
    {
        Product.Create("widget", "Widget", 10.00m, 1000),
        Product.Create("gizmo", "Gizmo", 99.00m, 3),
        Product.Create("unobtainium", "Unobtainium", 500.00m, 0),
    }.ToDictionary(p => p.ProductId);

    private static ReservationRequest Request(params OrderLine[] items) =>
        new("o-1", SagaFlow.Choreography, "alice", items, items.Sum(i => i.Quantity * i.UnitPrice), AutoConfirmPayment: true);

    private static Reservation Reserving(params OrderLine[] items) => Reservation.Open(null, Request(items), Products, Now)!;

    private static Reservation ReservedWidgets() => Reserving(new OrderLine("widget", 2, 10.00m)).AllHeld(Now).WithOutbox([], null);

    private static T SingleEvent<T>(Reservation r) where T : IIntegrationEvent => ServiceAssert.SingleEvent<T>(r.Outbox, r.OrderId);

    [Fact]
    public void AnOrderThatCanBeServedStartsReservingWithoutEvents()
    {
        var reservation = Reserving(new OrderLine("widget", 2, 10.00m));

        Assert.Equal(ReservationPhase.Reserving, reservation.Phase);
        Assert.True(reservation.IsUnfinished);
        Assert.False(reservation.TookNoHolds);
        Assert.Null(reservation.Status);
        Assert.Empty(reservation.Outbox);
    }

    public static TheoryData<OrderLine[], CancellationReason> Refusals => new()
    {
        { [new("nope", 1, 1.00m)], CancellationReason.UnknownProduct },
        { [new("widget", 1, 9.00m)], CancellationReason.PriceChanged },
        { [new("unobtainium", 1, 500.00m)], CancellationReason.OutOfStock },
        { [new("gizmo", 2, 99.00m), new("gizmo", 2, 99.00m)], CancellationReason.OutOfStock },
        // All or nothing, checked in this order: unknown, then price, then stock.
        { [new("unobtainium", 1, 500.00m), new("widget", 1, 9.00m), new("nope", 1, 1.00m)], CancellationReason.UnknownProduct },
        { [new("unobtainium", 1, 500.00m), new("widget", 1, 9.00m)], CancellationReason.PriceChanged },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void ARefusedOrderIsStoredRejectedWithItsReasonAndEvent(OrderLine[] items, CancellationReason reason)
    {
        var reservation = Reserving(items);

        Assert.Equal((ReservationPhase.Rejected, reason, ReservationStatus.Rejected), (reservation.Phase, reservation.Reason, reservation.Status));
        Assert.True(reservation.IsFinal);
        // Refused before taking any hold: no product has anything of it to give back.
        Assert.False(reservation.SettlesHolds);
        var failed = SingleEvent<StockReservationFailed>(reservation);
        Assert.Equal(new StockReservationFailed("o-1", SagaFlow.Choreography, reason, Now), failed);
    }

    [Fact]
    public void AnExistingReservationIsNeverDecidedAgain()
    {
        var tombstone = Reservation.Tombstone("o-1", SagaFlow.Choreography, Now);
        var reserved = ReservedWidgets();

        Assert.Same(tombstone, Reservation.Open(tombstone, Request(new OrderLine("widget", 2, 10.00m)), Products, Now));
        Assert.Same(reserved, Reservation.Open(reserved, Request(new OrderLine("nope", 2, 10.00m)), Products, Now));
    }

    [Fact]
    public void AllHeldMakesItReservedAndAsksForPayment()
    {
        var reserved = Reserving(new OrderLine("widget", 2, 10.00m)).AllHeld(Now);

        Assert.Equal((ReservationPhase.Reserved, ReservationStatus.Reserved), (reserved.Phase, reserved.Status));
        Assert.Equal(new StockReserved("o-1", SagaFlow.Choreography, "alice", 20.00m, true, Now), SingleEvent<StockReserved>(reserved));
    }

    [Fact]
    public void ShortOfStockRejectsWithItsEventAndThenGivesTheHoldsBack()
    {
        var rejected = Reserving(new OrderLine("widget", 2, 10.00m)).ShortOfStock(Now);

        Assert.Equal((ReservationPhase.Rejected, CancellationReason.OutOfStock, ReservationStatus.Rejected), (rejected.Phase, rejected.Reason, rejected.Status));
        Assert.True(rejected.SettlesHolds);
        Assert.Equal(CancellationReason.OutOfStock, SingleEvent<StockReservationFailed>(rejected).Reason);
    }

    [Fact]
    public void HoldingDecisionsApplyOnlyWhileReserving()
    {
        var reserved = ReservedWidgets();
        var rejected = Reserving(new OrderLine("widget", 2, 10.00m)).ShortOfStock(Now);

        Assert.Same(reserved, reserved.AllHeld(Now));
        Assert.Same(reserved, reserved.ShortOfStock(Now));
        Assert.Same(rejected, rejected.AllHeld(Now));
        Assert.Same(rejected, rejected.ShortOfStock(Now));
    }

    [Fact]
    public void CancellingAReservedOneReleasesItWithItsEventAndThenGivesTheHoldsBack()
    {
        var released = Reservation.Cancel(ReservedWidgets(), "o-1", SagaFlow.Choreography, Now);

        Assert.Equal((ReservationPhase.Released, ReservationStatus.Released), (released.Phase, released.Status));
        Assert.True(released.SettlesHolds);
        Assert.Equal(new StockReleased("o-1", SagaFlow.Choreography, Now), SingleEvent<StockReleased>(released));
    }

    [Fact]
    public void CancellingBeforeAnyReservationLeavesATombstoneALateOrderPlacedRespects()
    {
        var tombstone = Reservation.Cancel(null, "o-1", SagaFlow.Choreography, Now);

        Assert.Equal((ReservationPhase.Released, 0), (tombstone.Phase, tombstone.Items.Count));
        Assert.False(tombstone.SettlesHolds);
        Assert.Empty(tombstone.Outbox);
        Assert.Same(tombstone, Reservation.Open(tombstone, Request(new OrderLine("widget", 2, 10.00m)), Products, Now));
    }

    [Fact]
    public void CancellingWhatIsNotReservedChangesNothing()
    {
        var reserving = Reserving(new OrderLine("widget", 2, 10.00m));
        var rejected = Reserving(new OrderLine("nope", 1, 1.00m));
        var released = Reservation.Cancel(ReservedWidgets(), "o-1", SagaFlow.Choreography, Now);
        var committed = ReservedWidgets().Complete(Now);

        foreach (var reservation in new[] { reserving, rejected, released, committed })
            Assert.Same(reservation, Reservation.Cancel(reservation, "o-1", SagaFlow.Choreography, Now));
    }

    [Fact]
    public void CompletingAReservedOneCommitsItOnceAndThenSellsTheHolds()
    {
        var committed = ReservedWidgets().Complete(Now);

        Assert.Equal((ReservationPhase.Committed, ReservationStatus.Committed), (committed.Phase, committed.Status));
        Assert.True(committed.SettlesHolds);
        Assert.Equal(new StockCommitted("o-1", SagaFlow.Choreography, Now), SingleEvent<StockCommitted>(committed));
        Assert.Same(committed, committed.Complete(Now));
    }

    [Fact]
    public void CompletingWhatIsNotReservedChangesNothing()
    {
        var reserving = Reserving(new OrderLine("widget", 2, 10.00m));
        var rejected = Reserving(new OrderLine("nope", 1, 1.00m));
        var tombstone = Reservation.Tombstone("o-1", SagaFlow.Choreography, Now);

        foreach (var reservation in new[] { reserving, rejected, tombstone })
            Assert.Same(reservation, reservation.Complete(Now));
    }

    [Fact]
    public void AnEndedReservationNeverChangesAgain()
    {
        var ended = new[]
        {
            Reservation.Cancel(ReservedWidgets(), "o-1", SagaFlow.Choreography, Now).WithOutbox([], null),
            ReservedWidgets().Complete(Now).WithOutbox([], null),
            Reserving(new OrderLine("widget", 2, 10.00m)).ShortOfStock(Now).WithOutbox([], null),
        };

        foreach (var reservation in ended)
        {
            Assert.Same(reservation, reservation.AllHeld(Now));
            Assert.Same(reservation, reservation.ShortOfStock(Now));
            Assert.Same(reservation, reservation.Complete(Now));
            Assert.Same(reservation, Reservation.Cancel(reservation, "o-1", SagaFlow.Choreography, Now));
        }
    }

    [Fact]
    public void QuantitiesAddUpLinesOfTheSameProduct()
    {
        var reservation = Reserving(new OrderLine("widget", 2, 10.00m), new OrderLine("gizmo", 1, 99.00m), new OrderLine("widget", 3, 10.00m));

        Assert.Equal(new Dictionary<string, int> { ["widget"] = 5, ["gizmo"] = 1 }, reservation.Quantities);
    }

    [Fact]
    public void OrchestratedReservationsEmitTheirFlow()
    {
        var request = Request(new OrderLine("widget", 1, 10.00m)) with { Flow = SagaFlow.Orchestration };

        var reserved = Reservation.Open(null, request, Products, Now)!.AllHeld(Now);

        Assert.Equal(SagaFlow.Orchestration, SingleEvent<StockReserved>(reserved).Flow);
    }

    public static TheoryData<OrderLine[]> PoisonItems => new()
    {
        { [] },
        { [new("widget", 0, 10.00m)] },
        { [new("widget", 1001, 10.00m)] },
        { [new("wid||get", 1, 10.00m)] },
        { [new("", 1, 10.00m)] },
        { [new("widget", 1, 10.001m)] },
        { [new("widget", 1, -1m)] },
    };

    [Theory]
    [MemberData(nameof(PoisonItems))]
    public void AMalformedRequestIsNamedAsAProblem(OrderLine[] items) => Assert.NotNull(Request(items).Problem());

    [Fact]
    public void AWellFormedRequestHasNoProblem() => Assert.Null(Request(new OrderLine("widget", 1000, 10.00m)).Problem());
}
