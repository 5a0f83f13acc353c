using Dapr.Client;
using Microsoft.Extensions.Options;

namespace DaprSaga.DeliveryService.Couriers;

/// <summary>
/// One key per courier, a catalogue of every id, and per zone a roster, so an assignment reads its own zone only.
/// A write also forgets the answers settled <see cref="AssignmentOptions.SettledLife"/> ago, so a busy courier carries minutes of orders, not days.
/// </summary>
public sealed class CourierRoster(DaprClient dapr, ServiceIdentity service, TimeProvider time, IOptions<AssignmentOptions> assignments)
{
    private readonly ShardedIndex _catalogue = new(dapr, service.StateStore, "couriers", shards: 4);
    private readonly WriteTurns _turns = new();

    public static string KeyOf(string courierId) => $"courier-{courierId}";

    /// <summary>
    /// One key per zone, upper-cased (zones match case-insensitively) and escaped. A courier that moved away
    /// stays on it (taking it out could race a move back), so readers check <see cref="Courier.Serves"/>.
    /// </summary>
    private ShardedIndex RosterOf(string zone) =>
        new(dapr, service.StateStore, $"couriers-in-{Uri.EscapeDataString(zone.ToUpperInvariant())}", shards: 1);

    public Task<Courier?> FindAsync(string courierId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Courier?>(service.StateStore, KeyOf(courierId), cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<Courier>> ListAsync(CancellationToken cancellationToken) =>
        (await ReadAsync(await _catalogue.ListAsync(cancellationToken), cancellationToken))
            .OrderBy(c => c.CourierId, StringComparer.Ordinal).ToList();

    public Task<IReadOnlyList<string>> InZoneAsync(string zone, CancellationToken cancellationToken) =>
        RosterOf(zone).ListAsync(cancellationToken);

    public async Task<IReadOnlyList<Courier>> ReadAsync(IReadOnlyCollection<string> courierIds, CancellationToken cancellationToken) =>
        (await ReadWithETagsAsync(courierIds, cancellationToken)).Select(r => r.Value).ToList();

    // An id listed before its courier was first written has no record yet: skipped.
    public async Task<IReadOnlyList<Stored<Courier>>> ReadWithETagsAsync(IReadOnlyCollection<string> courierIds, CancellationToken cancellationToken) =>
        [.. (await dapr.ReadManyAsync<Courier>(service.StateStore, courierIds.Select(KeyOf), cancellationToken)).Values];

    /// <summary>A new courier enters the catalogue, and a new or moved one its zone's roster, before the write that makes it so.</summary>
    public Task<Updated<Courier>> ChangeAsync(string courierId, Func<Courier?, Courier?> decide, CancellationToken cancellationToken) =>
        dapr.UpdateAsync<Courier>(service.StateStore, KeyOf(courierId), async (current, ct) =>
        {
            var next = decide(current);
            if (next is null || ReferenceEquals(next, current)) return next;
            if (current is null) await _catalogue.AddAsync(courierId, ct);
            if (current is null || !current.Serves(next.Zone)) await RosterOf(next.Zone).AddAsync(courierId, ct);
            return next;
        }, cancellationToken);

    /// <summary>Puts every catalogued courier on its zone's roster; idempotent, a read per courier once done.</summary>
    public async Task PutOnZoneRostersAsync(CancellationToken cancellationToken)
    {
        foreach (var courier in await ListAsync(cancellationToken))
            await RosterOf(courier.Zone).AddAsync(courier.CourierId, cancellationToken);
    }

    /// <summary>Tries <paramref name="asRead"/> first (saves a read); an unanswered order is declined, unrecorded, from <paramref name="takeBy"/> on, judged after the read.</summary>
    public Task<AssignmentState> TakeAsync(
        string courierId, string orderId, string zone, DateTimeOffset takeBy, CancellationToken cancellationToken, Stored<Courier>? asRead = null) =>
        _turns.TakeAsync(KeyOf(courierId), waited => TakeInTurnAsync(courierId, orderId, zone, takeBy, waited ? null : asRead, cancellationToken), cancellationToken);

    private async Task<AssignmentState> TakeInTurnAsync(
        string courierId, string orderId, string zone, DateTimeOffset takeBy, Stored<Courier>? asRead, CancellationToken cancellationToken)
    {
        (Courier? Next, AssignmentState Answer) Take(Courier courier) =>
            courier.AnswerFor(orderId) is null && time.GetUtcNow() >= takeBy ? (null, AssignmentState.Declined) : courier.Take(orderId, zone);
        if (asRead is not null && Take(asRead.Value) is ({ } taken, AssignmentState.Active) && !string.IsNullOrEmpty(asRead.ETag)
            && await dapr.TrySaveStateAsync(service.StateStore, KeyOf(courierId), Kept(taken), asRead.ETag, cancellationToken: cancellationToken))
            return AssignmentState.Active;
        var answer = AssignmentState.Declined;
        await dapr.UpdateAsync<Courier>(service.StateStore, KeyOf(courierId), c =>
        {
            if (c is null) return null;
            (var next, answer) = Take(c);
            return next is null ? null : Kept(next);
        }, cancellationToken);
        return answer;
    }

    public Task ReleaseAsync(string courierId, string orderId, CancellationToken cancellationToken) =>
        _turns.TakeAsync(KeyOf(courierId), _ => dapr.UpdateAsync<Courier>(
            service.StateStore, KeyOf(courierId), c => c?.Release(orderId) is { } next ? Kept(next) : null, cancellationToken), cancellationToken);

    public Task WithdrawAsync(string courierId, string orderId, CancellationToken cancellationToken) =>
        _turns.TakeAsync(KeyOf(courierId), _ => dapr.UpdateAsync<Courier>(
            service.StateStore, KeyOf(courierId), c => c?.Withdraw(orderId) is { } next ? Kept(next) : null, cancellationToken), cancellationToken);

    private Courier Kept(Courier courier) => courier.Kept(time.GetUtcNow(), assignments.Value.SettledLife);
}
