using System.Text.Json.Serialization;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.PaymentService.Payments;

/// <summary>
/// Where a payment is, including the in-flight phases of a change that spans the payment and
/// the customer key: Confirming (debit being applied) and Refunding (refund being applied).
/// Each phase happens at most once per order, which is what lets each have its own index.
/// </summary>
public enum PaymentPhase { Pending, Confirming, Confirmed, Refunding, Refunded, Cancelled }

/// <summary>
/// One order's payment: the anchor record (key per order) that says which step of a multi-key
/// change is done. A tombstone (an order cancelled before its payment existed) is a Cancelled
/// payment without customer or amount.
/// </summary>
public sealed record Payment(
    string OrderId,
    SagaFlow Flow,
    string? CustomerId,
    decimal Amount,
    PaymentPhase Phase,
    CancellationReason? Reason,
    DateTimeOffset? ExpiresAt,
    IReadOnlyList<OutboxMessage> Outbox,
    string? OutboxListing = null) : IOutboxRecord<Payment>
{
    [JsonIgnore]
    public bool IsInFlight => Phase is PaymentPhase.Confirming or PaymentPhase.Refunding;

    [JsonIgnore]
    public PaymentStatus Status => Phase switch
    {
        PaymentPhase.Pending or PaymentPhase.Confirming => PaymentStatus.Pending,
        PaymentPhase.Confirmed or PaymentPhase.Refunding => PaymentStatus.Confirmed,
        PaymentPhase.Refunded => PaymentStatus.Refunded,
        _ => PaymentStatus.Cancelled,
    };

    /// <summary>
    /// Whether the payment is past <paramref name="phase"/> for good. Phases only move forward in
    /// declaration order (Cancelled, last, is terminal), so none is ever entered twice.
    /// </summary>
    public bool HasPassed(PaymentPhase phase) => Phase > phase;

    public Payment WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing) => this with { Outbox = outbox, OutboxListing = listing };

    /// <summary>Moves to <paramref name="phase"/> and queues <paramref name="emitted"/> with the same write.</summary>
    internal Payment Then<TEvent>(PaymentPhase phase, TEvent emitted, CancellationReason? reason = null)
        where TEvent : IIntegrationEvent =>
        this with { Phase = phase, Reason = reason ?? Reason, Outbox = [.. Outbox, OutboxMessage.For(emitted)] };

    public PaymentView ToView() => new(OrderId, CustomerId, Amount, Status, Reason, ExpiresAt);
}


