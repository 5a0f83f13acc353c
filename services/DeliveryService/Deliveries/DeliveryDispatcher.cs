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
/// repeated command, the sweep) simply carries it on; nothing is ever done twice.
/// Event handlers and HTTP commands are thin wrappers over these operations.
/// </summary>
public sealed class DeliveryDispatcher(
    DaprClient dapr, Outbox outbox, CourierRoster couriers, ServiceIdentity service, TimeProvider time)
{
    // Every courier answers at most once per order, so an assignment ends long before this.
    private const int MaxSteps = 1000;

    // Deliveries with a step under way; listed before the step is recorded, removed once at rest.
    private readonly ShardedIndex _unfinished = new(dapr, service.StateStore, "unfinished-deliveries");

    public static string KeyOf(string orderId) => $"delivery-{orderId}";

    public Task<Delivery?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Delivery?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    /// <summary>Creates the delivery once and drives it to Scheduled or Failed; a repeat returns where it stands.</summary>
    public async Task<Delivery> ScheduleAsync(string orderId, SagaFlow flow, string zone, CancellationToken cancellationToken)
    {
        await _unfinished.AddAsync(orderId, cancellationToken);
        var requested = await ChangeAsync(orderId, d => Delivery.Request(d, orderId, flow, zone), cancellationToken);
        return (await AdvanceAsync(orderId, requested, cancellationToken))!;
    }

    /// <summary>Cancels a delivery, freeing its slot, or leaves a tombstone when there is none yet.</summary>
    public async Task<Delivery> CancelAsync(string orderId, SagaFlow flow, CancellationReason? reason, CancellationToken cancellationToken)
    {
        await _unfinished.AddAsync(orderId, cancellationToken);
        var cancelled = await ChangeAsync(orderId, d => Delivery.Cancel(d, orderId, flow, reason), cancellationToken);
        return (await AdvanceAsync(orderId, cancelled, cancellationToken))!;
    }

    /// <summary>Marks a scheduled delivery delivered and frees the slot; null when there is no delivery.</summary>
    public async Task<Delivery?> ReportDeliveredAsync(string orderId, CancellationToken cancellationToken)
    {
        if (await FindAsync(orderId, cancellationToken) is null) return null;
        await _unfinished.AddAsync(orderId, cancellationToken);
        var reported = await ChangeAsync(orderId, d => d?.ReportDelivered(), cancellationToken);
        return await AdvanceAsync(orderId, reported, cancellationToken);
    }

    /// <summary>The recovery sweep: carries on every step a crash or a lost message left unfinished.</summary>
    public async Task<int> ResumeUnfinishedAsync(CancellationToken cancellationToken)
    {
        var orderIds = await _unfinished.ListAsync(cancellationToken);
        foreach (var orderId in orderIds)
        {
            await AdvanceAsync(orderId, await FindAsync(orderId, cancellationToken), cancellationToken);
        }
        return orderIds.Count;
    }

    /// <summary>Takes the delivery through its steps under way until it is at rest.</summary>
    private async Task<Delivery?> AdvanceAsync(string orderId, Delivery? delivery, CancellationToken cancellationToken)
    {
        for (var step = 0; step < MaxSteps; step++)
        {
            var now = time.GetUtcNow();
            switch (delivery)
            {
                case null or { IsAtRest: true }:
                    await _unfinished.RemoveAsync(orderId, cancellationToken);
                    return delivery;
                case { Phase: DeliveryPhase.Assigning, Candidate: null }:
                    var next = CourierChoice.Next(delivery, await couriers.ListAsync(cancellationToken));
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

    private async Task<Delivery?> ChangeAsync(string orderId, Func<Delivery?, Delivery?> decide, CancellationToken cancellationToken) =>
        (await outbox.ChangeAsync(KeyOf(orderId), decide, cancellationToken)).Value;
}
