using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;

namespace DaprSaga.DeliveryService.Tests;

public sealed class DeliveryTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static Delivery Assigning(string zone = "north") =>
        Delivery.Request(null, "o-1", SagaFlow.Choreography, zone)!;

    private static Delivery Scheduled() => Assigning().Ask("c-north-1", Now)!.Answered("c-north-1", AssignmentState.Active, Now)!.WithOutbox([], null);

    private static T Event<T>(Delivery d) where T : IIntegrationEvent => ServiceAssert.SingleEvent<T>(d.Outbox, d.OrderId);

    [Fact]
    public void ARequestCreatesAnAssigningDeliveryWithoutStatus()
    {
        var d = Assigning();

        Assert.Equal((DeliveryPhase.Assigning, "north", SagaFlow.Choreography), (d.Phase, d.Zone, d.Flow));
        Assert.Null(d.Status);
        Assert.Null(DeliveryView.Of(d));
        Assert.Empty(d.Outbox);
    }

    [Fact]
    public void ARepeatedRequestChangesNothing() =>
        Assert.Null(Delivery.Request(Scheduled(), "o-1", SagaFlow.Choreography, "north"));

    [Fact]
    public void ARequestAfterACancellationTombstoneDoesNothing()
    {
        var tombstone = Delivery.Cancel(null, "o-1", SagaFlow.Choreography, CancellationReason.CustomerCancelled)!;

        Assert.Null(Delivery.Request(tombstone, "o-1", SagaFlow.Choreography, "north"));
    }

    [Fact]
    public void TheCourierAskedIsRecordedBeforeAsking()
    {
        var asked = Assigning().Ask("c-north-1", Now)!;

        Assert.Equal("c-north-1", asked.Candidate);
        Assert.Equal("c-north-1", asked.SlotHolder);
        Assert.Equal(DeliveryPhase.Assigning, asked.Phase);
    }

    [Fact]
    public void AnAskMayBeTakenUntilItsTimeIsUpAndOneStoredUnstampedHasNoDeadline()
    {
        var within = TimeSpan.FromMinutes(1);

        Assert.Equal(Now + within, Assigning().Ask("c-north-1", Now)!.TakeBy(within));
        Assert.Equal(DateTimeOffset.MaxValue, (Assigning() with { Candidate = "c-north-1" }).TakeBy(within));
    }

    [Fact]
    public void OnlyOneCourierIsAskedAtATimeAndNeverOneThatDeclined()
    {
        var asked = Assigning().Ask("c-north-1", Now)!;
        var declined = asked.Answered("c-north-1", AssignmentState.Declined, Now)!;

        Assert.Null(asked.Ask("c-north-2", Now));
        Assert.Null(declined.Ask("c-north-1", Now));
        Assert.NotNull(declined.Ask("c-north-2", Now));
    }

    [Fact]
    public void AnActiveAnswerSchedulesAndAnnouncesIt()
    {
        var scheduled = Assigning().Ask("c-north-1", Now)!.Answered("c-north-1", AssignmentState.Active, Now)!;

        Assert.Equal((DeliveryPhase.Scheduled, "c-north-1", (string?)null), (scheduled.Phase, scheduled.CourierId, scheduled.Candidate));
        Assert.Equal(new DeliveryScheduled("o-1", SagaFlow.Choreography, "c-north-1", Now), Event<DeliveryScheduled>(scheduled));
        Assert.Equal(Topics.DeliveryScheduled, scheduled.Outbox[0].Topic);
        Assert.Equal(new DeliveryView("o-1", "c-north-1", "north", DeliveryStatus.Scheduled, null), DeliveryView.Of(scheduled));
    }

    [Fact]
    public void ADeclineMovesOnToTheNextCourier()
    {
        var declined = Assigning().Ask("c-north-1", Now)!.Answered("c-north-1", AssignmentState.Declined, Now)!;

        Assert.Equal(DeliveryPhase.Assigning, declined.Phase);
        Assert.Null(declined.Candidate);
        Assert.Equal(["c-north-1"], declined.Declined);
        Assert.Empty(declined.Outbox);
    }

    [Fact]
    public void AnAnswerFromACourierNotBeingAskedIsIgnored()
    {
        var asked = Assigning().Ask("c-north-1", Now)!;

        Assert.Null(asked.Answered("c-north-2", AssignmentState.Active, Now));
        Assert.Null(Assigning().Answered("c-north-1", AssignmentState.Active, Now));
        Assert.Null(Scheduled().Answered("c-north-1", AssignmentState.Active, Now));
    }

    [Fact]
    public void NoCourierLeftFailsTheDeliveryAndAnnouncesIt()
    {
        var failed = Assigning("west").NoCourierLeft(Now)!;

        Assert.Equal((DeliveryPhase.Failed, CancellationReason.NoCourierAvailable), (failed.Phase, failed.Reason));
        Assert.Equal(new DeliveryFailed("o-1", SagaFlow.Choreography, CancellationReason.NoCourierAvailable, Now), Event<DeliveryFailed>(failed));
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
    }

    [Fact]
    public void NoCourierLeftIsIgnoredWhileACourierIsBeingAskedOrOnceDecided()
    {
        Assert.Null(Assigning().Ask("c-north-1", Now)!.NoCourierLeft(Now));
        Assert.Null(Scheduled().NoCourierLeft(Now));
    }

    [Fact]
    public void ACancellationBeforeAnyDeliveryLeavesATombstoneWithoutEvent()
    {
        var tombstone = Delivery.Cancel(null, "o-1", SagaFlow.Choreography, CancellationReason.PaymentCancelled)!;

        Assert.Equal((DeliveryPhase.Cancelled, (string?)null, CancellationReason.PaymentCancelled), (tombstone.Phase, tombstone.CourierId, tombstone.Reason));
        Assert.True(tombstone.IsAtRest);
        Assert.Empty(tombstone.Outbox);
    }

    [Fact]
    public void AnOrchestratedCancellationWithoutReasonLeavesAnOrchestratedTombstone()
    {
        var tombstone = Delivery.Cancel(null, "o-1", SagaFlow.Orchestration, null)!;

        Assert.Equal((DeliveryPhase.Cancelled, SagaFlow.Orchestration, (CancellationReason?)null), (tombstone.Phase, tombstone.Flow, tombstone.Reason));
        Assert.Equal(new DeliveryView("o-1", null, "", DeliveryStatus.Cancelled, null), DeliveryView.Of(tombstone));
    }

    [Fact]
    public void CancellingKeepsTheFlowOfTheDelivery()
    {
        var orchestrated = Delivery.Request(null, "o-1", SagaFlow.Orchestration, "north")!.Ask("c-north-1", Now)!
            .Answered("c-north-1", AssignmentState.Active, Now)!.WithOutbox([], null);

        var cancelled = Delivery.Cancel(orchestrated, "o-1", SagaFlow.Choreography, null)!.Withdrawn(Now)!;

        Assert.Equal(SagaFlow.Orchestration, cancelled.Flow);
        Assert.Equal(SagaFlow.Orchestration, Event<DeliveryCancelled>(cancelled).Flow);
    }

    [Fact]
    public void CancellingAScheduledDeliveryWithdrawsFromItsCourierThenAnnouncesIt()
    {
        var cancelling = Delivery.Cancel(Scheduled(), "o-1", SagaFlow.Choreography, CancellationReason.SagaTimedOut)!;
        var cancelled = cancelling.Withdrawn(Now)!;

        Assert.Equal((DeliveryPhase.Cancelling, "c-north-1", DeliveryStatus.Cancelled), (cancelling.Phase, cancelling.SlotHolder, cancelling.Status));
        Assert.False(cancelling.IsAtRest);
        Assert.Equal((DeliveryPhase.Cancelled, "c-north-1"), (cancelled.Phase, cancelled.CourierId));
        Assert.Equal(new DeliveryCancelled("o-1", SagaFlow.Choreography, "c-north-1", Now), Event<DeliveryCancelled>(cancelled));
    }

    [Fact]
    public void CancellingDuringAssignmentWithdrawsFromTheCourierAskedAndAnnouncesNothing()
    {
        var cancelling = Delivery.Cancel(Assigning().Ask("c-north-1", Now), "o-1", SagaFlow.Choreography, CancellationReason.CustomerCancelled)!;
        var cancelled = cancelling.Withdrawn(Now)!;

        Assert.Equal("c-north-1", cancelling.SlotHolder);
        Assert.Equal((DeliveryPhase.Cancelled, (string?)null, (string?)null), (cancelled.Phase, cancelled.CourierId, cancelled.Candidate));
        Assert.Empty(cancelled.Outbox);
        // The answer of the courier that was asked no longer schedules anything.
        Assert.Null(cancelling.Answered("c-north-1", AssignmentState.Active, Now));
    }

    /// <summary>The phases past which a delivery can be neither cancelled nor reported delivered.</summary>
    public static TheoryData<DeliveryPhase> FailedCancelledOrDelivered => new()
    {
        DeliveryPhase.Failed,
        DeliveryPhase.Cancelling,
        DeliveryPhase.Cancelled,
        DeliveryPhase.Delivering,
        DeliveryPhase.Delivered,
    };

    [Theory]
    [MemberData(nameof(FailedCancelledOrDelivered))]
    public void ACancellationChangesNothingOnceFailedCancelledOrDelivered(DeliveryPhase phase) =>
        Assert.Null(Delivery.Cancel(Scheduled() with { Phase = phase }, "o-1", SagaFlow.Choreography, CancellationReason.CustomerCancelled));

    [Fact]
    public void WithdrawnOnlyCompletesACancellation() => Assert.Null(Scheduled().Withdrawn(Now));

    [Fact]
    public void ReportingDeliveredReleasesTheSlotThenIsDelivered()
    {
        var delivering = Scheduled().ReportDelivered()!;
        var delivered = delivering.Released()!;

        Assert.Equal((DeliveryPhase.Delivering, DeliveryStatus.Delivered), (delivering.Phase, delivering.Status));
        Assert.False(delivering.IsAtRest);
        Assert.Equal(DeliveryPhase.Delivered, delivered.Phase);
        Assert.Empty(delivered.Outbox);
    }

    [Theory]
    [InlineData(DeliveryPhase.Assigning)]
    [MemberData(nameof(FailedCancelledOrDelivered))]
    public void OnlyAScheduledDeliveryCanBeReportedDelivered(DeliveryPhase phase) =>
        Assert.Null((Scheduled() with { Phase = phase }).ReportDelivered());

    [Fact]
    public void ReleasedOnlyCompletesADelivery() => Assert.Null(Scheduled().Released());

    [Fact]
    public void EventsCarryTheFlowOfTheRequest()
    {
        var failed = Delivery.Request(null, "o-1", SagaFlow.Orchestration, "west")!.NoCourierLeft(Now)!;

        Assert.Equal(SagaFlow.Orchestration, Event<DeliveryFailed>(failed).Flow);
    }

    [Fact]
    public void ARequestWithItsFirstCourierIsCreatedAskingIt()
    {
        var asked = Delivery.Request(null, "o-1", SagaFlow.Choreography, "north", "c-north-2", Now)!;

        Assert.Equal((DeliveryPhase.Assigning, "c-north-2", (string?)null), (asked.Phase, asked.Candidate, asked.CourierId));
        Assert.Equal("c-north-2", asked.SlotHolder);
        Assert.Empty(asked.Outbox);
    }

    [Fact]
    public void ARequestWithNoCourierFreeIsCreatedFailedAndAnnouncesIt()
    {
        var failed = Delivery.Request(null, "o-1", SagaFlow.Orchestration, "west", null, Now)!;

        Assert.Equal((DeliveryPhase.Failed, CancellationReason.NoCourierAvailable), (failed.Phase, failed.Reason));
        Assert.Equal(new DeliveryFailed("o-1", SagaFlow.Orchestration, CancellationReason.NoCourierAvailable, Now), Event<DeliveryFailed>(failed));
    }

    [Fact]
    public void ARequestWithItsFirstCourierChangesNothingOnceAnyRecordExists()
    {
        var tombstone = Delivery.Cancel(null, "o-1", SagaFlow.Choreography, CancellationReason.CustomerCancelled)!;

        Assert.Null(Delivery.Request(Scheduled(), "o-1", SagaFlow.Choreography, "north", "c-north-2", Now));
        Assert.Null(Delivery.Request(tombstone, "o-1", SagaFlow.Choreography, "north", "c-north-2", Now));
        Assert.Null(Delivery.Request(Assigning(), "o-1", SagaFlow.Choreography, "north", null, Now));
    }
}
