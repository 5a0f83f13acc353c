using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.DeliveryService.Couriers;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.DeliveryService.Deliveries;

/// <summary>
/// Schedules, cancels and completes deliveries. A change touching a delivery and a courier is a
/// sequence of single-key conditional writes: the delivery records the step first (with the
/// events it causes, through the outbox), then the courier is changed (idempotent per order),
/// then the delivery records the result. Whoever finds a step unfinished (a redelivered event, a
/// repeated command, the sweep) simply carries it on; nothing is ever done twice. A delivery
/// with a step under way is listed as unfinished before it is written, so the sweep finds it
/// whatever stops in between; it is taken off the list once at rest.
/// Event handlers and HTTP commands are thin wrappers over these operations.
/// </summary>
public sealed class DeliveryDispatcher(
    DaprClient dapr, Outbox outbox, CourierRoster couriers, ServiceIdentity service, TimeProvider time)
{
    // Every courier answers at most once per order, so an assignment ends long before this.
    private const int MaxSteps = 1000;

    private readonly ShardedIndex _unfinished = new(dapr, service.StateStore, "unfinished-deliveries");

    public static string KeyOf(string orderId) => $"delivery-{orderId}";

    public Task<Delivery?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Delivery?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    /// <summary>Creates the delivery once and drives it to Scheduled or Failed; a repeat returns where it stands.</summary>
    public async Task<Delivery> ScheduleAsync(string orderId, SagaFlow flow, string zone, CancellationToken cancellationToken)
    {
        // The first courier is chosen before the delivery exists, so the write creating it already
        // names the courier to ask (or fails it), still before that courier is asked. A repeat
        // only wastes these reads: the stored delivery decides and the choice is dropped.
        var roster = await couriers.InZoneAsync(zone, cancellationToken);
        var first = await ChooseAsync(Delivery.Request(null, orderId, flow, zone)!, roster, cancellationToken);
        var now = time.GetUtcNow();
        var requested = await ChangeAsync(orderId, d => Delivery.Request(d, orderId, flow, zone, first?.CourierId, now), cancellationToken);
        var sameZone = requested is not null && string.Equals(requested.Zone, zone, StringComparison.Ordinal);
        return (await AdvanceAsync(orderId, requested, sameZone ? roster : null, listed: false, cancellationToken))!;
    }

    /// <summary>Cancels a delivery, freeing its slot, or leaves a tombstone when there is none yet.</summary>
    public async Task<Delivery> CancelAsync(string orderId, SagaFlow flow, CancellationReason? reason, CancellationToken cancellationToken)
    {
        var cancelled = await ChangeAsync(orderId, d => Delivery.Cancel(d, orderId, flow, reason), cancellationToken);
        return (await AdvanceAsync(orderId, cancelled, roster: null, listed: false, cancellationToken))!;
    }

    /// <summary>Marks a scheduled delivery delivered and frees the slot; null when there is no delivery.</summary>
    public async Task<Delivery?> ReportDeliveredAsync(string orderId, CancellationToken cancellationToken)
    {
        // No delivery: the change finds nothing to change and answers null after its one read.
        var reported = await ChangeAsync(orderId, d => d?.ReportDelivered(), cancellationToken);
        return reported is null ? null : await AdvanceAsync(orderId, reported, roster: null, listed: false, cancellationToken);
    }

    /// <summary>The recovery sweep: carries on every step a crash or a lost message left unfinished.</summary>
    public async Task<int> ResumeUnfinishedAsync(CancellationToken cancellationToken)
    {
        var orderIds = await _unfinished.ListAsync(cancellationToken);
        foreach (var orderId in orderIds)
        {
            await AdvanceAsync(orderId, await FindAsync(orderId, cancellationToken), roster: null, listed: true, cancellationToken);
        }
        return orderIds.Count;
    }

    /// <summary>
    /// Takes the delivery through its steps under way until it is at rest. <paramref name="roster"/>:
    /// the zone's courier ids if already read. <paramref name="listed"/>: the delivery may be on
    /// the unfinished list though it is at rest (the sweep found it there).
    /// </summary>
    private async Task<Delivery?> AdvanceAsync(
        string orderId, Delivery? delivery, IReadOnlyList<string>? roster, bool listed, CancellationToken cancellationToken)
    {
        for (var step = 0; step < MaxSteps; step++)
        {
            var now = time.GetUtcNow();
            // Unfinished means listed before it was written, so it must come off the list at rest.
            // One only ever seen at rest here was never listed, or a crash left it listed after
            // its last step, and then the sweep takes it off.
            listed |= delivery is { IsAtRest: false };
            switch (delivery)
            {
                case null or { IsAtRest: true }:
                    if (listed) await _unfinished.RemoveAsync(orderId, cancellationToken);
                    return delivery;
                case { Phase: DeliveryPhase.Assigning, Candidate: null }:
                    // The roster is read once per call, not once per courier asked.
                    roster ??= await couriers.InZoneAsync(delivery.Zone, cancellationToken);
                    var next = await ChooseAsync(delivery, roster, cancellationToken);
                    delivery = await ChangeAsync(orderId, d => next is null ? d?.NoCourierLeft(now) : d?.Ask(next.CourierId), cancellationToken);
                    break;
                case { Phase: DeliveryPhase.Assigning, Candidate: { } candidate }:
                    var answer = await couriers.TakeAsync(candidate, orderId, delivery.Zone, cancellationToken);
                    delivery = await ChangeAsync(orderId, d => d?.Answered(candidate, answer, now), cancellationToken);
                    break;
                case { Phase: DeliveryPhase.Cancelling }:
                    if (delivery.SlotHolder is { } holder) await couriers.WithdrawAsync(holder, orderId, cancellationToken);
                    delivery = await ChangeAsync(orderId, d => d?.Withdrawn(now), cancellationToken);
                    break;
                case { Phase: DeliveryPhase.Delivering, CourierId: { } courierId }:
                    await couriers.ReleaseAsync(courierId, orderId, cancellationToken);
                    delivery = await ChangeAsync(orderId, d => d?.Released(), cancellationToken);
                    break;
                default:
                    throw new InvalidOperationException($"delivery {orderId} is {delivery.Phase} without a courier");
            }
        }
        throw new InvalidOperationException($"delivery {orderId} did not come to rest after {MaxSteps} steps");
    }

    /// <summary>
    /// The courier to ask next: the better of the two sampled for the order, else (both full or
    /// gone) the best of the rest of the zone. Null only when no courier on the roster is left.
    /// </summary>
    private async Task<Courier?> ChooseAsync(Delivery delivery, IReadOnlyList<string> roster, CancellationToken cancellationToken)
    {
        var unasked = roster.Where(id => !delivery.Declined.Contains(id)).ToList();
        var sample = CourierChoice.Sample(delivery.OrderId, unasked);
        if (CourierChoice.Next(delivery, await couriers.ReadAsync(sample, cancellationToken)) is { } chosen) return chosen;
        var rest = unasked.Except(sample, StringComparer.Ordinal).ToList();
        return CourierChoice.Next(delivery, await couriers.ReadAsync(rest, cancellationToken));
    }

    private async Task<Delivery?> ChangeAsync(string orderId, Func<Delivery?, Delivery?> decide, CancellationToken cancellationToken) =>
        (await outbox.ChangeAsync(KeyOf(orderId), decide, cancellationToken, ListIfUnfinishedAsync)).Value;

    // Before each attempt to write (the outbox's hook): an unfinished delivery is on the list
    // before its write can land, so whatever stops after it, the sweep finds it. Idempotent, and
    // a single read when it is listed already.
    private Task ListIfUnfinishedAsync(Delivery? current, Delivery next, CancellationToken cancellationToken) =>
        next.IsAtRest ? Task.CompletedTask : _unfinished.AddAsync(next.OrderId, cancellationToken);
}
