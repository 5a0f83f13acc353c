using DaprSaga.Contracts;
using DaprSaga.DeliveryService.Couriers;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.DeliveryService.Deliveries;

/// <summary>
/// Where a delivery stands. Assigning, Cancelling and Delivering are steps under way across the
/// delivery and a courier; the others are at rest. Each step is recorded here before the courier
/// is touched, so a crash or a redelivery resumes it from this record alone.
/// </summary>
public enum DeliveryPhase { Assigning, Scheduled, Failed, Cancelling, Cancelled, Delivering, Delivered }

/// <summary>The delivery status on the wire (docs/architecture.md, Wire shapes): steps under way show where they lead.</summary>
public enum DeliveryStatus { Scheduled, Failed, Cancelled, Delivered }

/// <summary>
/// One order's delivery: the anchor of every multi-key change. <see cref="Candidate"/> is the one
/// courier being asked while Assigning (the only one that may hold a slot for this order besides
/// <see cref="CourierId"/>); <see cref="Declined"/> are the couriers that already said no.
/// </summary>
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
    string? OutboxListing = null) : IOutboxRecord<Delivery>
{
    public bool IsAtRest => Phase is DeliveryPhase.Scheduled or DeliveryPhase.Failed or DeliveryPhase.Cancelled or DeliveryPhase.Delivered;

    /// <summary>The courier that may hold this order's slot, if any.</summary>
    public string? SlotHolder => CourierId ?? Candidate;

    /// <summary>Null while no courier has been found yet: there is no delivery to show.</summary>
    public DeliveryStatus? Status => Phase switch
    {
        DeliveryPhase.Scheduled => DeliveryStatus.Scheduled,
        DeliveryPhase.Failed => DeliveryStatus.Failed,
        DeliveryPhase.Cancelling or DeliveryPhase.Cancelled => DeliveryStatus.Cancelled,
        DeliveryPhase.Delivering or DeliveryPhase.Delivered => DeliveryStatus.Delivered,
        _ => null,
    };

    public Delivery WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing) => this with { Outbox = outbox, OutboxListing = listing };

    /// <summary>
    /// A delivery is requested (order-confirmed, or the orchestrator's command): created once.
    /// Any record already there, a cancellation tombstone included, stays as it is.
    /// </summary>
    public static Delivery? Request(Delivery? current, string orderId, SagaFlow flow, string zone) =>
        current is null ? new(orderId, flow, zone, DeliveryPhase.Assigning, null, null, [], null, []) : null;

    /// <summary>
    /// A request whose first courier was chosen beforehand (null: the zone has none free), so the
    /// record is created already asking it, or already failed: the choice is recorded in the same
    /// write as the request, still before any courier is asked.
    /// </summary>
    public static Delivery? Request(Delivery? current, string orderId, SagaFlow flow, string zone, string? firstCourier, DateTimeOffset now) =>
        Request(current, orderId, flow, zone) is { } requested
            ? firstCourier is null ? requested.NoCourierLeft(now) : requested.Ask(firstCourier)
            : null;

    /// <summary>Records which courier is asked next, before asking it.</summary>
    public Delivery? Ask(string courierId) =>
        Phase == DeliveryPhase.Assigning && Candidate is null && !Declined.Contains(courierId)
            ? this with { Candidate = courierId }
            : null;

    /// <summary>The asked courier answered: scheduled with it, or on to the next one.</summary>
    public Delivery? Answered(string courierId, AssignmentState answer, DateTimeOffset now)
    {
        // A stale answer: the delivery moved on (cancelled, or another step recorded this one).
        if (Phase != DeliveryPhase.Assigning || Candidate != courierId) return null;
        return answer == AssignmentState.Active
            ? Emit(this with { Phase = DeliveryPhase.Scheduled, CourierId = courierId, Candidate = null },
                new DeliveryScheduled(OrderId, Flow, courierId, now))
            : this with { Candidate = null, Declined = [.. Declined, courierId] };
    }

    /// <summary>No courier of the zone is left to ask.</summary>
    public Delivery? NoCourierLeft(DateTimeOffset now) =>
        Phase == DeliveryPhase.Assigning && Candidate is null
            ? Emit(this with { Phase = DeliveryPhase.Failed, Reason = CancellationReason.NoCourierAvailable },
                new DeliveryFailed(OrderId, Flow, CancellationReason.NoCourierAvailable, now))
            : null;

    /// <summary>
    /// The order is cancelled. Nothing yet: a tombstone, so a late request does nothing. Assigning
    /// or Scheduled: cancel (withdraw from the courier next). Failed, Delivered or already
    /// cancelling: nothing to undo. The reason is null when the orchestrator compensates
    /// without giving one.
    /// </summary>
    public static Delivery? Cancel(Delivery? current, string orderId, SagaFlow flow, CancellationReason? reason) => current switch
    {
        null => new(orderId, flow, "", DeliveryPhase.Cancelled, null, null, [], reason, []),
        { Phase: DeliveryPhase.Assigning or DeliveryPhase.Scheduled } => current with { Phase = DeliveryPhase.Cancelling, Reason = reason },
        _ => null,
    };

    /// <summary>The courier let go of the order: cancelled; a scheduled delivery announces it.</summary>
    public Delivery? Withdrawn(DateTimeOffset now)
    {
        if (Phase != DeliveryPhase.Cancelling) return null;
        var cancelled = this with { Phase = DeliveryPhase.Cancelled, Candidate = null };
        return CourierId is null ? cancelled : Emit(cancelled, new DeliveryCancelled(OrderId, Flow, CourierId, now));
    }

    /// <summary>The courier reports the parcel delivered; only a scheduled delivery can be.</summary>
    public Delivery? ReportDelivered() =>
        Phase == DeliveryPhase.Scheduled ? this with { Phase = DeliveryPhase.Delivering } : null;

    /// <summary>The courier's slot is free again.</summary>
    public Delivery? Released() =>
        Phase == DeliveryPhase.Delivering ? this with { Phase = DeliveryPhase.Delivered } : null;

    private static Delivery Emit<TEvent>(Delivery next, TEvent integrationEvent) where TEvent : IIntegrationEvent =>
        next with { Outbox = [.. next.Outbox, OutboxMessage.For(integrationEvent)] };
}

/// <summary>The delivery on the wire (docs/architecture.md, Wire shapes).</summary>
public sealed record DeliveryView(string OrderId, string? CourierId, string Zone, DeliveryStatus Status, CancellationReason? Reason)
{
    public static DeliveryView? Of(Delivery? d) =>
        d?.Status is { } status ? new(d.OrderId, d.CourierId, d.Zone, status, d.Reason) : null;
}
