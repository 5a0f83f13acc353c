using DaprSaga.PaymentService.Customers;

namespace DaprSaga.PaymentService.Payments;

/// <summary>
/// Every payment decision as a pure function of the stored payment and the clock; the same instance
/// back means no change, so a repeated trigger repeats the answer and never a second effect.
/// </summary>
public static class PaymentRules
{
    /// <summary>
    /// First write wins: an existing payment (a tombstone included) stays as it is. A pre-authorised one
    /// (autoConfirmPayment) asks nobody, so nothing is requested: it starts the debit in this write.
    /// </summary>
    public static Payment Open(
        Payment? current, string orderId, SagaFlow flow, string customerId, decimal amount, bool customerKnown,
        DateTimeOffset now, TimeSpan timeout, bool preauthorised = false)
    {
        if (current is not null) return current;
        var opened = new Payment(orderId, flow, customerId, amount, PaymentPhase.Pending, null, null, []);
        if (!customerKnown)
        {
            return opened.Then(PaymentPhase.Cancelled,
                new PaymentCancelled(orderId, flow, CancellationReason.UnknownCustomer, now), CancellationReason.UnknownCustomer);
        }
        var expiresAt = now + timeout;
        return preauthorised
            ? opened with { Phase = PaymentPhase.Confirming, ExpiresAt = expiresAt }
            : opened.Then(PaymentPhase.Pending, new PaymentRequested(orderId, flow, customerId, amount, expiresAt, now)) with { ExpiresAt = expiresAt };
    }

    /// <summary>
    /// Refused for an unknown customer, or (pre-authorised) by its own debit; a tombstone is no refusal (the order is
    /// already compensated). A repeat answers the same, whatever confirm the customer made since.
    /// </summary>
    public static bool OpenWasRefused(Payment payment) =>
        payment is { Phase: PaymentPhase.Cancelled, Reason: CancellationReason.UnknownCustomer or CancellationReason.InsufficientCredit, CustomerId: not null };

    /// <summary>At or after expiresAt a confirm expires the payment; before, it starts the debit.</summary>
    public static Payment? BeginConfirm(Payment? current, DateTimeOffset now)
    {
        if (current is not { Phase: PaymentPhase.Pending }) return current;
        return IsDue(current, now) ? Expired(current, now) : current with { Phase = PaymentPhase.Confirming };
    }

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

    /// <summary>The customer's cancel, only while Pending; past expiresAt the payment has expired whatever they ask.</summary>
    public static Payment? Cancel(Payment? current, DateTimeOffset now)
    {
        if (current is not { Phase: PaymentPhase.Pending }) return current;
        return IsDue(current, now)
            ? Expired(current, now)
            : current.Then(PaymentPhase.Cancelled,
                new PaymentCancelled(current.OrderId, current.Flow, CancellationReason.PaymentCancelled, now),
                CancellationReason.PaymentCancelled);
    }

    public static Payment? Expire(Payment? current, DateTimeOffset now) =>
        current is { Phase: PaymentPhase.Pending } && IsDue(current, now) ? Expired(current, now) : current;

    /// <summary>
    /// The compensation: cancel if Pending, refund if Confirmed, a tombstone if none yet (so a late
    /// open does nothing). An in-flight phase is finished by the caller first.
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
