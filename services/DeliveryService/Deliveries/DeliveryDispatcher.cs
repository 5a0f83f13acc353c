using Dapr.Client;
using DaprSaga.DeliveryService.Couriers;
using Microsoft.Extensions.Options;

namespace DaprSaga.DeliveryService.Deliveries;

/// <summary>
/// A change across a delivery and a courier is a sequence of one-key writes: the delivery records the
/// step (and its events), the courier follows (idempotent per order), the delivery records the result.
/// Whoever finds a step unfinished carries it on; the outbox lists a delivery not at rest before it is written.
/// </summary>
public sealed class DeliveryDispatcher(
    DaprClient dapr, Outbox outbox, CourierRoster couriers, ServiceIdentity service, TimeProvider time, IOptions<AssignmentOptions> assignments,
    ILogger<DeliveryDispatcher> log)
    : IListedWork<Delivery>
{
    // Every courier answers at most once per order, so an assignment ends long before this.
    private const int MaxSteps = 1000;

    public static string KeyOf(string orderId) => $"delivery-{orderId}";

    public Task<Delivery?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Delivery?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    public async Task<Delivery> ScheduleAsync(string orderId, SagaFlow flow, string zone, CancellationToken cancellationToken)
    {
        // The first courier is chosen before the delivery exists, so the creating write already names it.
        var roster = await couriers.InZoneAsync(zone, cancellationToken);
        var first = await ChooseAsync(Delivery.Request(null, orderId, flow, zone)!, roster, cancellationToken);
        var now = time.GetUtcNow();
        var requested = await ChangeAsync(orderId, d => Delivery.Request(d, orderId, flow, zone, first?.Value.CourierId, now), cancellationToken);
        var sameZone = requested is not null && string.Equals(requested.Zone, zone, StringComparison.Ordinal);
        return (await AdvanceAsync(orderId, requested, sameZone ? roster : null, cancellationToken, first))!;
    }

    public async Task<Delivery> CancelAsync(string orderId, SagaFlow flow, CancellationReason? reason, CancellationToken cancellationToken)
    {
        var cancelled = await ChangeAsync(orderId, d => Delivery.Cancel(d, orderId, flow, reason), cancellationToken);
        return (await AdvanceAsync(orderId, cancelled, roster: null, cancellationToken))!;
    }

    public async Task<Delivery?> ReportDeliveredAsync(string orderId, CancellationToken cancellationToken)
    {
        var reported = await ChangeAsync(orderId, d => d?.ReportDelivered(), cancellationToken);
        return reported is null ? null : await AdvanceAsync(orderId, reported, roster: null, cancellationToken);
    }

    /// <summary>The sweep's work: carries every listed delivery that is not at rest on, from the sweep's read, until it rests.</summary>
    public async Task<IReadOnlyCollection<string>> CarryOnAsync(IReadOnlyDictionary<string, Delivery> notAtRest, CancellationToken cancellationToken)
    {
        await RecoveryPass.RunAsync(notAtRest.Keys,
            key => AdvanceAsync(notAtRest[key].OrderId, notAtRest[key], roster: null, cancellationToken), log, cancellationToken);
        // Each step is a write, so none of them rests as read.
        return [];
    }

    /// <summary>Moves the delivery on until it rests; <paramref name="asRead"/> is the candidate as the choice read it.</summary>
    private async Task<Delivery?> AdvanceAsync(
        string orderId, Delivery? delivery, IReadOnlyList<string>? roster, CancellationToken cancellationToken, Stored<Courier>? asRead = null)
    {
        for (var step = 0; step < MaxSteps; step++)
        {
            var now = time.GetUtcNow();
            switch (delivery)
            {
                case null or { IsAtRest: true }:
                    return delivery;
                case { Phase: DeliveryPhase.Assigning, Candidate: null }:
                    roster ??= await couriers.InZoneAsync(delivery.Zone, cancellationToken);
                    var next = await ChooseAsync(delivery, roster, cancellationToken);
                    asRead = next;
                    delivery = await ChangeAsync(orderId, d => next is null ? d?.NoCourierLeft(now) : d?.Ask(next.Value.CourierId, now), cancellationToken);
                    break;
                case { Phase: DeliveryPhase.Assigning, Candidate: { } candidate }:
                    var answer = await couriers.TakeAsync(candidate, orderId, delivery.Zone, delivery.TakeBy(assignments.Value.TakeWithin),
                        cancellationToken, asRead?.Value.CourierId == candidate ? asRead : null);
                    asRead = null;
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

    /// <summary>The better of the two sampled for the order, else the best of the rest of the zone.</summary>
    private async Task<Stored<Courier>?> ChooseAsync(Delivery delivery, IReadOnlyList<string> roster, CancellationToken cancellationToken)
    {
        var unasked = roster.Where(id => !delivery.Declined.Contains(id)).ToList();
        var sample = CourierChoice.Sample(delivery.OrderId, unasked);
        return ChosenOf(delivery, await couriers.ReadWithETagsAsync(sample, cancellationToken))
            ?? ChosenOf(delivery, await couriers.ReadWithETagsAsync(unasked.Except(sample, StringComparer.Ordinal).ToList(), cancellationToken));
    }

    private static Stored<Courier>? ChosenOf(Delivery delivery, IReadOnlyList<Stored<Courier>> read) =>
        CourierChoice.Next(delivery, read.Select(r => r.Value)) is { } chosen ? read.First(r => ReferenceEquals(r.Value, chosen)) : null;

    private async Task<Delivery?> ChangeAsync(string orderId, Func<Delivery?, Delivery?> decide, CancellationToken cancellationToken) =>
        (await outbox.ChangeAsync(KeyOf(orderId), decide, cancellationToken)).Value;
}
