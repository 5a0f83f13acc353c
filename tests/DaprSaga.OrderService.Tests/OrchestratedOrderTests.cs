using DaprSaga.OrderService.Orders;

namespace DaprSaga.OrderService.Tests;

/// <summary>The order's decisions for the orchestrator's commands, as plain functions.</summary>
public sealed class OrchestratedOrderTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnOrchestratedOrderIsPlacedPendingAndAnnouncesOrderPlacedWithItsFlow()
    {
        var order = Place();

        Assert.Equal((OrderStatus.Pending, SagaFlow.Orchestration), (order.Status, order.Flow));
        Assert.Equal("Orchestration", Assert.Single(order.Outbox).Data.GetProperty("flow").GetString());
        Assert.Equal(CommandOutcome.Done, order.OutcomeOf(OrderStatus.Pending));
    }

    [Fact]
    public void ConfirmMovesPendingToConfirmedOnceAndAnnouncesItWithTheOrchestrationFlow()
    {
        var confirmed = Sent(Place()).Take(OrderTrigger.Confirm, Now)!;

        Assert.Equal(OrderStatus.Confirmed, confirmed.Status);
        var announced = Assert.Single(confirmed.Outbox);
        Assert.Equal((Topics.OrderConfirmed, "Orchestration"), (announced.Topic, announced.Data.GetProperty("flow").GetString()));
        Assert.Equal(CommandOutcome.Done, confirmed.OutcomeOf(OrderStatus.Confirmed));
        Assert.Null(confirmed.Take(OrderTrigger.Confirm, Now));
    }

    [Fact]
    public void CompleteMovesConfirmedToCompletedOnceAndAConfirmAfterwardsIsDone()
    {
        var completed = Sent(Sent(Place()).Take(OrderTrigger.Confirm, Now)!).Take(OrderTrigger.Complete, Now)!;

        Assert.Equal(OrderStatus.Completed, completed.Status);
        Assert.Equal(Topics.OrderCompleted, Assert.Single(completed.Outbox).Topic);
        Assert.Null(completed.Take(OrderTrigger.Complete, Now));
        Assert.Null(completed.Take(OrderTrigger.Confirm, Now));
        Assert.Equal(CommandOutcome.Done, completed.OutcomeOf(OrderStatus.Confirmed));
    }

    [Fact]
    public void CompleteBeforeConfirmIsNotDueAndLeavesNoTraceSoItCountsLater()
    {
        var order = Place();

        Assert.Null(order.Take(OrderTrigger.Complete, Now));
        Assert.Equal(CommandOutcome.NotDue, order.OutcomeOf(OrderStatus.Completed));
        var confirmed = order.Take(OrderTrigger.Confirm, Now)!;
        Assert.Equal(OrderStatus.Completed, confirmed.Take(OrderTrigger.Complete, Now)!.Status);
    }

    [Theory]
    [InlineData(OrderStatus.Confirmed)]
    [InlineData(OrderStatus.Completed)]
    public void ACancelledOrderRefusesConfirmAndCompleteWithItsReasonAndRecordsEachOnce(OrderStatus wanted)
    {
        var command = wanted == OrderStatus.Confirmed ? OrderTrigger.Confirm : OrderTrigger.Complete;
        var cancelled = Sent(Place().CancelFromOutside(OrderTrigger.CustomerCancel, Now)!);

        var recorded = cancelled.Take(command, Now)!;

        Assert.Equal((OrderStatus.Cancelled, false), (recorded.Status, recorded.History[^1].Applied));
        Assert.Empty(recorded.Outbox);
        Assert.Equal(CommandOutcome.Refused, recorded.OutcomeOf(wanted));
        Assert.Equal(CancellationReason.CustomerCancelled, recorded.CancellationReason);
        Assert.Null(recorded.Take(command, Now));
    }

    [Theory]
    [InlineData(OrderStatus.Pending)]
    [InlineData(OrderStatus.Confirmed)]
    public void TheCompensationCancelsWithTheOrchestratorsReasonOnce(OrderStatus from)
    {
        var order = Sent(from == OrderStatus.Pending ? Place() : Place().Take(OrderTrigger.Confirm, Now)!);

        var cancelled = order.Take(OrderTrigger.Compensate(CancellationReason.NoCourierAvailable), Now)!;

        Assert.Equal((OrderStatus.Cancelled, CancellationReason.NoCourierAvailable), (cancelled.Status, cancelled.CancellationReason));
        var announced = Assert.Single(cancelled.Outbox);
        Assert.Equal((Topics.OrderCancelled, "NoCourierAvailable", "Orchestration"),
            (announced.Topic, announced.Data.GetProperty("reason").GetString(), announced.Data.GetProperty("flow").GetString()));
        Assert.Equal(CommandOutcome.Done, cancelled.OutcomeOf(OrderStatus.Cancelled));
        Assert.Null(cancelled.Take(OrderTrigger.Compensate(CancellationReason.OutOfStock), Now));
    }

    [Fact]
    public void TheCompensationNeverRefusesAndLeavesACompletedOrderOrAnEarlierCancelAsItIs()
    {
        var completed = Sent(Sent(Place().Take(OrderTrigger.Confirm, Now)!).Take(OrderTrigger.Complete, Now)!);
        var cancelled = Sent(Place().CancelFromOutside(OrderTrigger.CustomerCancel, Now)!);

        var afterCompleted = completed.Take(OrderTrigger.Compensate(CancellationReason.OutOfStock), Now)!;
        var afterCancelled = cancelled.Take(OrderTrigger.Compensate(CancellationReason.OutOfStock), Now)!;

        Assert.Equal((OrderStatus.Completed, CommandOutcome.Done), (afterCompleted.Status, afterCompleted.OutcomeOf(OrderStatus.Cancelled)));
        Assert.Equal(CancellationReason.CustomerCancelled, afterCancelled.CancellationReason);
        Assert.Empty(afterCompleted.Outbox.Concat(afterCancelled.Outbox));
    }

    [Fact]
    public void ATombstoneIsASilentCancelledOrderThatACreateOrALaterCompensationDoNotChange()
    {
        var tombstone = Order.Tombstone("o-1", CancellationReason.OutOfStock, Now);

        Assert.Equal((OrderStatus.Cancelled, CancellationReason.OutOfStock, SagaFlow.Orchestration),
            (tombstone.Status, tombstone.CancellationReason, tombstone.Flow));
        Assert.Empty(tombstone.Outbox);
        Assert.Equal(CommandOutcome.Refused, tombstone.OutcomeOf(OrderStatus.Pending));
        Assert.Null(tombstone.Take(OrderTrigger.Compensate(CancellationReason.PriceChanged), Now));
    }

    [Fact]
    public void OnceConfirmedAnOrchestratedOrderCanNoLongerBeCancelledFromOutside()
    {
        var pending = Place();
        var confirmed = Sent(pending.Take(OrderTrigger.Confirm, Now)!);

        Assert.True(confirmed.OnlyGoesForward);
        Assert.Null(confirmed.CancelFromOutside(OrderTrigger.CustomerCancel, Now));
        Assert.Null(confirmed.CancelFromOutside(OrderTrigger.SagaDeadline, Now));
        Assert.Equal(OrderStatus.Cancelled, pending.CancelFromOutside(OrderTrigger.CustomerCancel, Now)!.Status);
    }

    [Fact]
    public void AChoreographyOrderIsNotTheOrchestratorsToDrive()
    {
        var order = Order.Place("o-1", SagaFlow.Choreography, Lines(), Now);

        Assert.Null(order.Take(OrderTrigger.Confirm, Now));
        Assert.Null(order.Take(OrderTrigger.Compensate(CancellationReason.OutOfStock), Now));
        Assert.Equal(CommandOutcome.OtherFlow, order.OutcomeOf(OrderStatus.Cancelled));
        // Its own cancels are untouched by the orchestrated rule.
        var confirmed = order.Apply(OrderTrigger.PaymentConfirmed, reacts: true, Now)!;
        Assert.False(confirmed.OnlyGoesForward);
        Assert.Equal(OrderStatus.Cancelled, confirmed.CancelFromOutside(OrderTrigger.CustomerCancel, Now)!.Status);
    }

    private static NewOrder Lines() => new("alice", [new OrderLine("widget", 2, 10.00m)], "north", false);

    private static Order Place() => Order.Place("o-1", SagaFlow.Orchestration, Lines(), Now);

    // As the outbox leaves it once published.
    private static Order Sent(Order order) => order.WithOutbox([], null);
}
