using System.Text.Json.Serialization;

namespace DaprSaga.PaymentService.Payments;

/// <summary>Confirming and Refunding are in flight: the customer's ledger is being changed.</summary>
public enum PaymentPhase { Pending, Confirming, Confirmed, Refunding, Refunded, Cancelled }

/// <summary>One order's payment; a tombstone (voided before it existed) is Cancelled without customer or amount.</summary>
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

    /// <summary>Settled: neither Pending (until it expires) nor in flight, which the expiry and the sweep must find.</summary>
    [JsonIgnore]
    public bool IsAtRest => Phase != PaymentPhase.Pending && !IsInFlight;

    /// <summary>Pending until confirmed, cancelled or expired: no call comes back for the expiry.</summary>
    [JsonIgnore]
    public bool AwaitsAPass => Phase == PaymentPhase.Pending;

    [JsonIgnore]
    public PaymentStatus Status => Phase switch
    {
        PaymentPhase.Pending or PaymentPhase.Confirming => PaymentStatus.Pending,
        PaymentPhase.Confirmed or PaymentPhase.Refunding => PaymentStatus.Confirmed,
        PaymentPhase.Refunded => PaymentStatus.Refunded,
        _ => PaymentStatus.Cancelled,
    };

    // Phases only move forward in declaration order, so none is entered twice.
    public bool HasPassed(PaymentPhase phase) => Phase > phase;

    public Payment WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing) => this with { Outbox = outbox, OutboxListing = listing };

    // An opened payment has its customer.
    [JsonIgnore]
    public bool IsTombstone => CustomerId is null;

    /// <summary>Moves to <paramref name="phase"/> and queues <paramref name="emitted"/> with the same write.</summary>
    internal Payment Then<TEvent>(PaymentPhase phase, TEvent emitted, CancellationReason? reason = null)
        where TEvent : IIntegrationEvent =>
        (this with { Phase = phase, Reason = reason ?? Reason }).Emitting(emitted);

    public PaymentView ToView() => new(OrderId, CustomerId, Amount, Status, Reason, ExpiresAt);
}


