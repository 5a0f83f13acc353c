using DaprSaga.Contracts;
using DaprSaga.PaymentService.Customers;

namespace DaprSaga.PaymentService.Payments;

/// <summary>
/// Every payment decision as a pure function of the stored payment (null = none yet) and the
/// payment's clock. Each returns the same instance when nothing changes, so a repeated trigger
/// repeats the answer and never a second effect. Guards come first: terminal? already applied?
/// </summary>
public static class PaymentRules
{
    /// <summary>
    /// First write wins: an existing payment (a tombstone included) is kept as it is, so a
    /// duplicate or late trigger does nothing. Otherwise Pending until <c>now + timeout</c>, or
    /// Cancelled(UnknownCustomer) when the customer does not exist.
    /// </summary>
    public static Payment Open(
        Payment? current, string orderId, SagaFlow flow, string customerId, decimal amount, bool customerKnown,
        DateTimeOffset now, TimeSpan timeout)
    {
        if (current is not null) return current;
        var opened = new Payment(orderId, flow, customerId, amount, PaymentPhase.Pending, null, null, []);
        if (!customerKnown)
        {
            return opened.Then(PaymentPhase.Cancelled,
                new PaymentCancelled(orderId, flow, CancellationReason.UnknownCustomer, now), CancellationReason.UnknownCustomer);
        }
        var expiresAt = now + timeout;
        return opened.Then(PaymentPhase.Pending, new PaymentRequested(orderId, flow, customerId, amount, expiresAt, now)) with
        {
            ExpiresAt = expiresAt,
        };
    }

    /// <summary>
    /// Whether the open was refused (unknown customer), so a repeated create answers 409 again.
    /// A tombstone (voided before it was opened: no customer) is no refusal: the open finds the
    /// order already compensated, and there is nothing left for it to do.
    /// </summary>
    public static bool OpenWasRefused(Payment payment) =>
        payment is { Phase: PaymentPhase.Cancelled, Reason: CancellationReason.UnknownCustomer, CustomerId: not null };

    /// <summary>
    /// A confirm by the payment's clock: at or after expiresAt it cancels the payment
    /// (PaymentExpired); otherwise it starts the debit (Confirming). Any other phase is the answer.
    /// </summary>
    public static Payment? BeginConfirm(Payment? current, DateTimeOffset now)
    {
        if (current is not { Phase: PaymentPhase.Pending }) return current;
        return IsDue(current, now) ? Expired(current, now) : current with { Phase = PaymentPhase.Confirming };
    }

    /// <summary>Ends a confirmation with what the customer's ledger says the debit did.</summary>
    public static Payment FinishConfirm(Payment current, LedgerEntry? entry, DateTimeOffset now)
    {
        if (current.Phase != PaymentPhase.Confirming) return current;
        return entry?.Kind switch
        {
            // Refunded implies it was debited first; the refund's own phase finishes it later.
            LedgerEntryKind.Debited or LedgerEntryKind.Refunded =>
                current.Then(PaymentPhase.Confirmed, new PaymentConfirmed(current.OrderId, current.Flow, current.Amount, now)),
            LedgerEntryKind.Declined => current.Then(PaymentPhase.Cancelled,
                new PaymentCancelled(current.OrderId, current.Flow, CancellationReason.InsufficientCredit, now),
                CancellationReason.InsufficientCredit),
            _ => throw new InvalidOperationException($"payment {current.OrderId} cannot finish confirming before its debit is decided"),
        };
    }

    /// <summary>
    /// The customer's cancel, only while Pending. The payment's clock decides first: at or
    /// after expiresAt the payment has expired, whatever the customer asks.
    /// </summary>
    public static Payment? Cancel(Payment? current, DateTimeOffset now)
    {
        if (current is not { Phase: PaymentPhase.Pending }) return current;
        return IsDue(current, now)
            ? Expired(current, now)
            : current.Then(PaymentPhase.Cancelled,
                new PaymentCancelled(current.OrderId, current.Flow, CancellationReason.PaymentCancelled, now),
                CancellationReason.PaymentCancelled);
    }

    /// <summary>The expiry tick: cancels a Pending payment whose time is up; anything else stays.</summary>
    public static Payment? Expire(Payment? current, DateTimeOffset now) =>
        current is { Phase: PaymentPhase.Pending } && IsDue(current, now) ? Expired(current, now) : current;

    /// <summary>
    /// The compensation for a cancelled order: a Pending payment is cancelled with the order's
    /// reason, a Confirmed one starts its refund, no payment yet leaves a tombstone so a late
    /// trigger does nothing. In-flight, cancelled and refunded payments stay as they are (the
    /// caller finishes an in-flight phase and asks again).
    /// </summary>
    public static Payment Void(Payment? current, string orderId, SagaFlow flow, CancellationReason reason, DateTimeOffset now) =>
        current switch
        {
            null => new Payment(orderId, flow, null, 0m, PaymentPhase.Cancelled, reason, null, []),
            { Phase: PaymentPhase.Pending } => current.Then(PaymentPhase.Cancelled,
                new PaymentCancelled(orderId, current.Flow, reason, now), reason),
            { Phase: PaymentPhase.Confirmed } => current with { Phase = PaymentPhase.Refunding, Reason = reason },
            _ => current,
        };

    /// <summary>Ends a refund once the customer's ledger shows the money went back.</summary>
    public static Payment FinishRefund(Payment current, LedgerEntry? entry, DateTimeOffset now)
    {
        if (current.Phase != PaymentPhase.Refunding) return current;
        if (entry?.Kind != LedgerEntryKind.Refunded)
            throw new InvalidOperationException($"payment {current.OrderId} cannot finish refunding before its refund is applied");
        return current.Then(PaymentPhase.Refunded, new PaymentRefunded(current.OrderId, current.Flow, current.Amount, now));
    }

    /// <summary>Due at expiresAt exactly: the payment's clock is the only one that counts.</summary>
    public static bool IsDue(Payment payment, DateTimeOffset now) => payment.ExpiresAt is { } expiresAt && now >= expiresAt;

    private static Payment Expired(Payment current, DateTimeOffset now) =>
        current.Then(PaymentPhase.Cancelled,
            new PaymentCancelled(current.OrderId, current.Flow, CancellationReason.PaymentExpired, now),
            CancellationReason.PaymentExpired);
}
