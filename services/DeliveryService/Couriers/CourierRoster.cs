using Dapr.Client;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.DeliveryService.Couriers;

/// <summary>
/// Couriers in the state store: one key per courier ("courier-{id}"), every change a conditional
/// write of that key alone, and a small catalogue of ids so they can be listed.
/// </summary>
public sealed class CourierRoster(DaprClient dapr, ServiceIdentity service)
{
    private readonly ShardedIndex _catalogue = new(dapr, service.StateStore, "couriers", shards: 4);

    public static string KeyOf(string courierId) => $"courier-{courierId}";

    public Task<Courier?> FindAsync(string courierId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Courier?>(service.StateStore, KeyOf(courierId), cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<Courier>> ListAsync(CancellationToken cancellationToken)
    {
        var ids = await _catalogue.ListAsync(cancellationToken);
        if (ids.Count == 0) return [];
        var items = await dapr.GetBulkStateAsync<Courier>(
            service.StateStore, ids.Select(KeyOf).ToList(), parallelism: 8, cancellationToken: cancellationToken);
        // An id listed before its courier was first written has no record yet: skipped.
        return items.Select(i => i.Value).Where(c => c is not null).OrderBy(c => c.CourierId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Creates or changes a courier; listed first, so the catalogue never misses one.</summary>
    public async Task<Updated<Courier>> ChangeAsync(string courierId, Func<Courier?, Courier?> decide, CancellationToken cancellationToken)
    {
        await _catalogue.AddAsync(courierId, cancellationToken);
        return await dapr.UpdateAsync(service.StateStore, KeyOf(courierId), decide, cancellationToken);
    }

    /// <summary>Asks the courier for a slot; an unknown courier declines.</summary>
    public async Task<AssignmentState> TakeAsync(string courierId, string orderId, string zone, CancellationToken cancellationToken)
    {
        var answer = AssignmentState.Declined;
        await dapr.UpdateAsync<Courier>(service.StateStore, KeyOf(courierId), c =>
        {
            if (c is null) return null;
            (var next, answer) = c.Take(orderId, zone);
            return next;
        }, cancellationToken);
        return answer;
    }

    public Task ReleaseAsync(string courierId, string orderId, CancellationToken cancellationToken) =>
        dapr.UpdateAsync<Courier>(service.StateStore, KeyOf(courierId), c => c?.Release(orderId), cancellationToken);

    public Task WithdrawAsync(string courierId, string orderId, CancellationToken cancellationToken) =>
        dapr.UpdateAsync<Courier>(service.StateStore, KeyOf(courierId), c => c?.Withdraw(orderId), cancellationToken);
}
