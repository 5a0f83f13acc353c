using DaprSaga.PaymentService.Customers;
using DaprSaga.PaymentService.Payments;

namespace DaprSaga.PaymentService.Tests;

public sealed class PaymentRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    private static Payment Pending(string orderId = "o-1", decimal amount = 20.00m) =>
        PaymentRules.Open(null, orderId, SagaFlow.Choreography, "bob", amount, customerKnown: true, Now, Timeout) with { Outbox = [] };

    private static Payment InPhase(PaymentPhase phase, CancellationReason? reason = null) =>
        Pending() with { Phase = phase, Reason = reason };

    private static TEvent Single<TEvent>(Payment payment) where TEvent : IIntegrationEvent => ServiceAssert.SingleEvent<TEvent>(payment.Outbox, payment.OrderId);

    [Fact]
    public void OpeningCreatesAPendingPaymentThatExpiresAfterTheTimeoutAndRequestsPayment()
    {
        var payment = PaymentRules.Open(null, "o-1", SagaFlow.Choreography, "bob", 20.00m, customerKnown: true, Now, Timeout);

        Assert.Equal((PaymentPhase.Pending, PaymentStatus.Pending, Now + Timeout), (payment.Phase, payment.Status, payment.ExpiresAt));
        Assert.Equal(new PaymentRequested("o-1", SagaFlow.Choreography, "bob", 20.00m, Now + Timeout, Now), Single<PaymentRequested>(payment));
    }

    [Fact]
    public void OpeningForAnUnknownCustomerCancelsWithUnknownCustomer()
    {
        var payment = PaymentRules.Open(null, "o-1", SagaFlow.Choreography, "nobody", 20.00m, customerKnown: false, Now, Timeout);

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.UnknownCustomer), (payment.Status, payment.Reason));
        Assert.Equal(CancellationReason.UnknownCustomer, Single<PaymentCancelled>(payment).Reason);
    }

    [Theory]
    [InlineData(PaymentPhase.Pending)]
    [InlineData(PaymentPhase.Confirmed)]
    [InlineData(PaymentPhase.Cancelled)]
    public void OpeningAgainKeepsTheFirstPayment(PaymentPhase phase)
    {
        var existing = InPhase(phase);

        Assert.Same(existing, PaymentRules.Open(existing, "o-1", SagaFlow.Choreography, "alice", 99m, true, Now, Timeout));
    }

    [Fact]
    public void OpeningAfterAVoidFindsTheTombstoneAndDoesNothing()
    {
        var tombstone = PaymentRules.Void(null, "o-1", SagaFlow.Choreography, CancellationReason.CustomerCancelled, Now);

        Assert.Same(tombstone, PaymentRules.Open(tombstone, "o-1", SagaFlow.Choreography, "bob", 20m, true, Now, Timeout));
    }

    [Fact]
    public void ConfirmingBeforeExpiryStartsTheDebit()
    {
        var confirming = PaymentRules.BeginConfirm(Pending(), Now + Timeout - TimeSpan.FromTicks(1))!;

        Assert.Equal((PaymentPhase.Confirming, PaymentStatus.Pending), (confirming.Phase, confirming.Status));
        Assert.Empty(confirming.Outbox);
    }

    [Fact]
    public void ConfirmingAtExactlyExpiresAtExpiresThePayment()
    {
        var expired = PaymentRules.BeginConfirm(Pending(), Now + Timeout)!;

        Assert.Equal((PaymentPhase.Cancelled, CancellationReason.PaymentExpired), (expired.Phase, expired.Reason));
        Assert.Equal(CancellationReason.PaymentExpired, Single<PaymentCancelled>(expired).Reason);
    }

    [Theory]
    [InlineData(PaymentPhase.Confirming)]
    [InlineData(PaymentPhase.Confirmed)]
    [InlineData(PaymentPhase.Refunding)]
    [InlineData(PaymentPhase.Refunded)]
    [InlineData(PaymentPhase.Cancelled)]
    public void ConfirmingAPaymentThatIsNoLongerPendingChangesNothing(PaymentPhase phase)
    {
        var payment = InPhase(phase);

        Assert.Same(payment, PaymentRules.BeginConfirm(payment, Now));
        Assert.Same(payment, PaymentRules.BeginConfirm(payment, Now + Timeout));
    }

    [Fact]
    public void ConfirmingAnUnknownPaymentFindsNothing() => Assert.Null(PaymentRules.BeginConfirm(null, Now));

    [Fact]
    public void ADebitedConfirmationEndsConfirmedAndSaysSo()
    {
        var confirmed = PaymentRules.FinishConfirm(InPhase(PaymentPhase.Confirming), new(20.00m, LedgerEntryKind.Debited), Now);

        Assert.Equal(PaymentStatus.Confirmed, confirmed.Status);
        Assert.Equal(new PaymentConfirmed("o-1", SagaFlow.Choreography, 20.00m, Now), Single<PaymentConfirmed>(confirmed));
    }

    [Fact]
    public void ADeclinedConfirmationEndsCancelledForInsufficientCredit()
    {
        var cancelled = PaymentRules.FinishConfirm(InPhase(PaymentPhase.Confirming), new(20.00m, LedgerEntryKind.Declined), Now);

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.InsufficientCredit), (cancelled.Status, cancelled.Reason));
        Assert.Equal(CancellationReason.InsufficientCredit, Single<PaymentCancelled>(cancelled).Reason);
    }

    [Fact]
    public void FinishingAConfirmationTwiceChangesNothingTheSecondTime()
    {
        var confirmed = PaymentRules.FinishConfirm(InPhase(PaymentPhase.Confirming), new(20.00m, LedgerEntryKind.Debited), Now);

        Assert.Same(confirmed, PaymentRules.FinishConfirm(confirmed, new(20.00m, LedgerEntryKind.Debited), Now));
    }

    [Fact]
    public void AConfirmationCannotFinishBeforeItsDebitIsDecided() =>
        Assert.Throws<InvalidOperationException>(() => PaymentRules.FinishConfirm(InPhase(PaymentPhase.Confirming), null, Now));

    [Fact]
    public void TheCustomerCancelsAPendingPayment()
    {
        var cancelled = PaymentRules.Cancel(Pending(), Now)!;

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.PaymentCancelled), (cancelled.Status, cancelled.Reason));
        Assert.Equal(CancellationReason.PaymentCancelled, Single<PaymentCancelled>(cancelled).Reason);
        Assert.Same(cancelled, PaymentRules.Cancel(cancelled, Now));
    }

    [Fact]
    public void ACancelAtExpiresAtFindsThePaymentExpired()
    {
        var expired = PaymentRules.Cancel(Pending(), Now + Timeout)!;

        Assert.Equal(CancellationReason.PaymentExpired, expired.Reason);
    }

    [Theory]
    [InlineData(PaymentPhase.Confirming)]
    [InlineData(PaymentPhase.Confirmed)]
    [InlineData(PaymentPhase.Refunded)]
    public void ACancelOfAPaymentNoLongerPendingChangesNothing(PaymentPhase phase)
    {
        var payment = InPhase(phase);

        Assert.Same(payment, PaymentRules.Cancel(payment, Now));
    }

    [Fact]
    public void TheExpiryTickLeavesAPaymentThatIsNotDueYet()
    {
        var pending = Pending();

        Assert.Same(pending, PaymentRules.Expire(pending, Now + Timeout - TimeSpan.FromTicks(1)));
    }

    [Fact]
    public void TheExpiryTickCancelsAPendingPaymentAtExactlyExpiresAt()
    {
        var expired = PaymentRules.Expire(Pending(), Now + Timeout)!;

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.PaymentExpired), (expired.Status, expired.Reason));
        Assert.Single(expired.Outbox);
        Assert.Same(expired, PaymentRules.Expire(expired, Now + Timeout));
    }

    [Theory]
    [InlineData(PaymentPhase.Confirming)]
    [InlineData(PaymentPhase.Confirmed)]
    [InlineData(PaymentPhase.Cancelled)]
    public void TheExpiryTickLeavesPaymentsThatAreNotPending(PaymentPhase phase)
    {
        var payment = InPhase(phase);

        Assert.Same(payment, PaymentRules.Expire(payment, Now + TimeSpan.FromDays(1)));
    }

    [Fact]
    public void VoidingBeforeAnyPaymentLeavesASilentTombstone()
    {
        var tombstone = PaymentRules.Void(null, "o-1", SagaFlow.Choreography, CancellationReason.OutOfStock, Now);

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.OutOfStock, 0m, null), (tombstone.Status, tombstone.Reason, tombstone.Amount, tombstone.CustomerId));
        Assert.Empty(tombstone.Outbox);
    }

    [Fact]
    public void VoidingAPendingPaymentCancelsItWithTheOrdersReason()
    {
        var cancelled = PaymentRules.Void(Pending(), "o-1", SagaFlow.Choreography, CancellationReason.NoCourierAvailable, Now);

        Assert.Equal(CancellationReason.NoCourierAvailable, cancelled.Reason);
        Assert.Equal(CancellationReason.NoCourierAvailable, Single<PaymentCancelled>(cancelled).Reason);
    }

    [Fact]
    public void VoidingAConfirmedPaymentStartsItsRefund()
    {
        var refunding = PaymentRules.Void(InPhase(PaymentPhase.Confirmed), "o-1", SagaFlow.Choreography, CancellationReason.NoCourierAvailable, Now);

        Assert.Equal((PaymentPhase.Refunding, PaymentStatus.Confirmed), (refunding.Phase, refunding.Status));
        Assert.Empty(refunding.Outbox);
    }

    [Theory]
    [InlineData(PaymentPhase.Confirming)]
    [InlineData(PaymentPhase.Refunding)]
    [InlineData(PaymentPhase.Refunded)]
    [InlineData(PaymentPhase.Cancelled)]
    public void VoidingLeavesInFlightAndFinishedPaymentsAsTheyAre(PaymentPhase phase)
    {
        var payment = InPhase(phase, CancellationReason.PaymentCancelled);

        Assert.Same(payment, PaymentRules.Void(payment, "o-1", SagaFlow.Choreography, CancellationReason.SagaTimedOut, Now));
    }

    [Fact]
    public void AnAppliedRefundEndsRefundedAndSaysSo()
    {
        var refunding = InPhase(PaymentPhase.Refunding, CancellationReason.NoCourierAvailable);

        var refunded = PaymentRules.FinishRefund(refunding, new(20.00m, LedgerEntryKind.Refunded), Now);

        Assert.Equal((PaymentStatus.Refunded, CancellationReason.NoCourierAvailable), (refunded.Status, refunded.Reason));
        Assert.Equal(new PaymentRefunded("o-1", SagaFlow.Choreography, 20.00m, Now), Single<PaymentRefunded>(refunded));
        Assert.Same(refunded, PaymentRules.FinishRefund(refunded, new(20.00m, LedgerEntryKind.Refunded), Now));
    }

    [Fact]
    public void ARefundCannotFinishBeforeTheMoneyWentBack() =>
        Assert.Throws<InvalidOperationException>(() =>
            PaymentRules.FinishRefund(InPhase(PaymentPhase.Refunding), new(20.00m, LedgerEntryKind.Debited), Now));

    [Fact]
    public void PhasesOnlyMoveForward()
    {
        Assert.True(InPhase(PaymentPhase.Confirmed).HasPassed(PaymentPhase.Confirming));
        Assert.True(InPhase(PaymentPhase.Cancelled).HasPassed(PaymentPhase.Refunding));
        Assert.False(InPhase(PaymentPhase.Confirmed).HasPassed(PaymentPhase.Refunding));
        Assert.False(InPhase(PaymentPhase.Pending).HasPassed(PaymentPhase.Pending));
    }

    [Fact]
    public void AConfirmedThenVoidedPaymentConservesCredit()
    {
        var bob = Customer.Open("bob", "Bob", 50.00m);
        var payment = PaymentRules.BeginConfirm(Pending(), Now)!;
        bob = bob.Debit("o-1", payment.Amount);
        payment = PaymentRules.FinishConfirm(payment, bob.EntryFor("o-1"), Now);
        payment = PaymentRules.Void(payment, "o-1", SagaFlow.Choreography, CancellationReason.NoCourierAvailable, Now);
        bob = bob.Refund("o-1").Refund("o-1");
        payment = PaymentRules.FinishRefund(payment, bob.EntryFor("o-1"), Now);

        Assert.Equal((PaymentStatus.Refunded, 50.00m), (payment.Status, bob.Credit));
        Assert.Equal([Topics.PaymentRequested, Topics.PaymentConfirmed, Topics.PaymentRefunded],
            (PaymentRules.Open(null, "o-1", SagaFlow.Choreography, "bob", 20m, true, Now, Timeout).Outbox.Concat(payment.Outbox)).Select(m => m.Topic));
    }

    [Fact]
    public void OnlyAnOpenForAnUnknownCustomerIsARefusal()
    {
        var unknown = PaymentRules.Open(null, "o-1", SagaFlow.Orchestration, "nobody", 20.00m, customerKnown: false, Now, Timeout);
        var tombstone = PaymentRules.Void(null, "o-1", SagaFlow.Orchestration, CancellationReason.UnknownCustomer, Now);

        Assert.True(PaymentRules.OpenWasRefused(unknown));
        Assert.False(PaymentRules.OpenWasRefused(PaymentRules.Open(tombstone, "o-1", SagaFlow.Orchestration, "nobody", 20.00m, false, Now, Timeout)));
        Assert.False(PaymentRules.OpenWasRefused(Pending()));
        Assert.False(PaymentRules.OpenWasRefused(InPhase(PaymentPhase.Cancelled, CancellationReason.PaymentExpired)));
    }

    [Fact]
    public void AnOrchestratedPaymentSaysOrchestrationInEveryEventItEmits()
    {
        var opened = PaymentRules.Open(null, "o-1", SagaFlow.Orchestration, "bob", 20.00m, customerKnown: true, Now, Timeout);
        var pending = opened with { Outbox = [] };
        var confirming = PaymentRules.BeginConfirm(pending, Now)!;
        var debited = new LedgerEntry(20.00m, LedgerEntryKind.Debited);
        var emitted = new[]
        {
            opened,
            PaymentRules.Open(null, "o-2", SagaFlow.Orchestration, "nobody", 20.00m, customerKnown: false, Now, Timeout),
            PaymentRules.FinishConfirm(confirming, debited, Now),
            PaymentRules.FinishConfirm(confirming, new LedgerEntry(20.00m, LedgerEntryKind.Declined), Now),
            PaymentRules.Cancel(pending, Now)!,
            PaymentRules.Expire(pending, Now + Timeout)!,
            PaymentRules.Void(pending, "o-1", SagaFlow.Choreography, CancellationReason.NoCourierAvailable, Now),
            PaymentRules.FinishRefund(pending with { Phase = PaymentPhase.Refunding }, debited with { Kind = LedgerEntryKind.Refunded }, Now),
        };

        Assert.All(emitted, payment =>
        {
            var message = Assert.Single(payment.Outbox);
            Assert.Equal("Orchestration", message.Data.GetProperty("flow").GetString());
        });
    }
}
