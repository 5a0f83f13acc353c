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
    public void OpeningPreauthorisedStartsTheDebitAndRequestsNothing()
    {
        var payment = PaymentRules.Open(null, "o-1", SagaFlow.Choreography, "bob", 20.00m, customerKnown: true, Now, Timeout, preauthorised: true);

        Assert.Equal((PaymentPhase.Confirming, PaymentStatus.Pending, Now + Timeout), (payment.Phase, payment.Status, payment.ExpiresAt));
        Assert.Empty(payment.Outbox);
        // The debit's end announces it as for any confirm.
        Assert.Equal(new PaymentConfirmed("o-1", SagaFlow.Choreography, 20.00m, Now),
            Single<PaymentConfirmed>(PaymentRules.FinishConfirm(payment, new LedgerEntry(20.00m, LedgerEntryKind.Debited), Now)));
        var unknown = PaymentRules.Open(null, "o-1", SagaFlow.Choreography, "nobody", 20.00m, customerKnown: false, Now, Timeout, preauthorised: true);
        Assert.Equal(CancellationReason.UnknownCustomer, Single<PaymentCancelled>(unknown).Reason);
    }

    [Fact]
    public void OpeningForAnUnknownCustomerCancelsWithUnknownCustomer()
    {
        var payment = PaymentRules.Open(null, "o-1", SagaFlow.Choreography, "nobody", 20.00m, customerKnown: false, Now, Timeout);

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.UnknownCustomer), (payment.Status, payment.Reason));
        Assert.Equal(CancellationReason.UnknownCustomer, Single<PaymentCancelled>(payment).Reason);
    }

    // Every rule as the theory below names it, each given the payment it acts on.
    private static readonly Dictionary<string, Func<Payment, Payment?>> Rules = new(StringComparer.Ordinal)
    {
        ["open again"] = p => PaymentRules.Open(p, "o-1", SagaFlow.Choreography, "alice", 99m, true, Now, Timeout),
        ["confirm"] = p => PaymentRules.BeginConfirm(p, Now),
        ["confirm at expiry"] = p => PaymentRules.BeginConfirm(p, Now + Timeout),
        ["cancel"] = p => PaymentRules.Cancel(p, Now),
        ["expiry tick a day late"] = p => PaymentRules.Expire(p, Now + TimeSpan.FromDays(1)),
        ["void"] = p => PaymentRules.Void(p, "o-1", SagaFlow.Choreography, CancellationReason.SagaTimedOut, Now),
    };

    /// <summary>A rule given a payment in a phase it no longer acts on answers that very payment, so nothing is saved.</summary>
    [Theory]
    // Opening again keeps the first payment.
    [InlineData("open again", PaymentPhase.Pending)]
    [InlineData("open again", PaymentPhase.Confirmed)]
    [InlineData("open again", PaymentPhase.Cancelled)]
    // Confirming a payment that is no longer pending changes nothing.
    [InlineData("confirm", PaymentPhase.Confirming)]
    [InlineData("confirm", PaymentPhase.Confirmed)]
    [InlineData("confirm", PaymentPhase.Refunding)]
    [InlineData("confirm", PaymentPhase.Refunded)]
    [InlineData("confirm", PaymentPhase.Cancelled)]
    [InlineData("confirm at expiry", PaymentPhase.Confirming)]
    [InlineData("confirm at expiry", PaymentPhase.Confirmed)]
    [InlineData("confirm at expiry", PaymentPhase.Refunding)]
    [InlineData("confirm at expiry", PaymentPhase.Refunded)]
    [InlineData("confirm at expiry", PaymentPhase.Cancelled)]
    // A cancel of a payment no longer pending changes nothing.
    [InlineData("cancel", PaymentPhase.Confirming)]
    [InlineData("cancel", PaymentPhase.Confirmed)]
    [InlineData("cancel", PaymentPhase.Refunded)]
    // The expiry tick leaves payments that are not pending.
    [InlineData("expiry tick a day late", PaymentPhase.Confirming)]
    [InlineData("expiry tick a day late", PaymentPhase.Confirmed)]
    [InlineData("expiry tick a day late", PaymentPhase.Cancelled)]
    // Voiding leaves in-flight and finished payments as they are, the reason they carry included.
    [InlineData("void", PaymentPhase.Confirming, CancellationReason.PaymentCancelled)]
    [InlineData("void", PaymentPhase.Refunding, CancellationReason.PaymentCancelled)]
    [InlineData("void", PaymentPhase.Refunded, CancellationReason.PaymentCancelled)]
    [InlineData("void", PaymentPhase.Cancelled, CancellationReason.PaymentCancelled)]
    public void ARuleLeavesAPaymentItNoLongerActsOnAsItIs(string rule, PaymentPhase phase, CancellationReason? reason = null)
    {
        var payment = InPhase(phase, reason);

        Assert.Same(payment, Rules[rule](payment));
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
