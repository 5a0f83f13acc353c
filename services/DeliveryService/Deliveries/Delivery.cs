using System.Text.Json.Serialization;
using DaprSaga.DeliveryService.Couriers;

namespace DaprSaga.DeliveryService.Deliveries;

/// <summary>
/// Assigning, Cancelling and Delivering are steps under way across the delivery and a courier, each
/// recorded here before the courier is touched, so a crash or a redelivery resumes from this record.
/// </summary>
public enum DeliveryPhase { Assigning, Scheduled, Failed, Cancelling, Cancelled, Delivering, Delivered }

public enum DeliveryStatus { Scheduled, Failed, Cancelled, Delivered }

/// <summary><see cref="Candidate"/>: the courier being asked, the only other that may hold the slot, until <see cref="AskedAt"/> + Assignments:TakeWithin.</summary>
public sealed record Delivery(
    string OrderId,
    SagaFlow Flow,
    string Zone,
    DeliveryPhase Phase,
    string? CourierId,
    string? Candidate,
    IReadOnlyList<string> Declined,
    CancellationReason? Reason,
    IReadOnlyList<OutboxMessage> Outbox,
    string? OutboxListing = null,
    DateTimeOffset? AskedAt = null) : IOutboxRecord<Delivery>
{
    public bool IsAtRest => Phase is DeliveryPhase.Scheduled or DeliveryPhase.Failed or DeliveryPhase.Cancelled or DeliveryPhase.Delivered;

    // A step under way is carried on by whoever started it, or by the call that repeats it.
    [JsonIgnore]
    public bool AwaitsAPass => false;

    public string? SlotHolder => CourierId ?? Candidate;

    public DeliveryStatus? Status => Phase switch
    {
        DeliveryPhase.Scheduled => DeliveryStatus.Scheduled,
        DeliveryPhase.Failed => DeliveryStatus.Failed,
        DeliveryPhase.Cancelling or DeliveryPhase.Cancelled => DeliveryStatus.Cancelled,
        DeliveryPhase.Delivering or DeliveryPhase.Delivered => DeliveryStatus.Delivered,
        _ => null,
    };

    public Delivery WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing) => this with { Outbox = outbox, OutboxListing = listing };

    // A requested delivery has its order's zone.
    [JsonIgnore]
    public bool IsTombstone => Zone.Length == 0;

    /// <summary>Created once: any record already there, a cancellation tombstone included, stays as it is.</summary>
    public static Delivery? Request(Delivery? current, string orderId, SagaFlow flow, string zone) =>
        current is null ? new(orderId, flow, zone, DeliveryPhase.Assigning, null, null, [], null, []) : null;

    /// <summary>The first courier (null: none free) is chosen beforehand, so the creating write already asks it or fails.</summary>
    public static Delivery? Request(Delivery? current, string orderId, SagaFlow flow, string zone, string? firstCourier, DateTimeOffset now) =>
        Request(current, orderId, flow, zone) is { } requested
            ? firstCourier is null ? requested.NoCourierLeft(now) : requested.Ask(firstCourier, now)
            : null;

    public Delivery? Ask(string courierId, DateTimeOffset now) =>
        Phase == DeliveryPhase.Assigning && Candidate is null && !Declined.Contains(courierId)
            ? this with { Candidate = courierId, AskedAt = now }
            : null;

    // A candidate stored before asks were stamped has no deadline, as then.
    public DateTimeOffset TakeBy(TimeSpan takeWithin) => AskedAt is { } asked ? asked + takeWithin : DateTimeOffset.MaxValue;

    public Delivery? Answered(string courierId, AssignmentState answer, DateTimeOffset now)
    {
        // A stale answer: the delivery moved on (cancelled, or another step recorded this one).
        if (Phase != DeliveryPhase.Assigning || Candidate != courierId) return null;
        return answer == AssignmentState.Active
            ? (this with { Phase = DeliveryPhase.Scheduled, CourierId = courierId, Candidate = null })
                .Emitting(new DeliveryScheduled(OrderId, Flow, courierId, now))
            : this with { Candidate = null, Declined = [.. Declined, courierId] };
    }

    public Delivery? NoCourierLeft(DateTimeOffset now) =>
        Phase == DeliveryPhase.Assigning && Candidate is null
            ? (this with { Phase = DeliveryPhase.Failed, Reason = CancellationReason.NoCourierAvailable })
                .Emitting(new DeliveryFailed(OrderId, Flow, CancellationReason.NoCourierAvailable, now))
            : null;

    /// <summary>Nothing yet: a tombstone, so a late request does nothing. Assigning or Scheduled: Cancelling.</summary>
    public static Delivery? Cancel(Delivery? current, string orderId, SagaFlow flow, CancellationReason? reason) => current switch
    {
        null => new(orderId, flow, "", DeliveryPhase.Cancelled, null, null, [], reason, []),
        { Phase: DeliveryPhase.Assigning or DeliveryPhase.Scheduled } => current with { Phase = DeliveryPhase.Cancelling, Reason = reason },
        _ => null,
    };

    public Delivery? Withdrawn(DateTimeOffset now)
    {
        if (Phase != DeliveryPhase.Cancelling) return null;
        var cancelled = this with { Phase = DeliveryPhase.Cancelled, Candidate = null };
        return CourierId is null ? cancelled : cancelled.Emitting(new DeliveryCancelled(OrderId, Flow, CourierId, now));
    }

    public Delivery? ReportDelivered() =>
        Phase == DeliveryPhase.Scheduled ? this with { Phase = DeliveryPhase.Delivering } : null;

    public Delivery? Released() =>
        Phase == DeliveryPhase.Delivering ? this with { Phase = DeliveryPhase.Delivered } : null;
}

public sealed record DeliveryView(string OrderId, string? CourierId, string Zone, DeliveryStatus Status, CancellationReason? Reason)
{
    public static DeliveryView? Of(Delivery? d) =>
        d?.Status is { } status ? new(d.OrderId, d.CourierId, d.Zone, status, d.Reason) : null;
}
