using Dapr.Client;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderService.Orders;

public sealed record OrderPage(IReadOnlyList<Order> Orders, int Page, int PageSize, int TotalCount);

/// <summary>
/// One key per order (with its outbox). An order is listed in the outbox listing from before its first
/// write until it is terminal (the saga-deadline pass finds it there); as the sweep unlists it, it enters
/// the index of every order, a shard's orders in one write. The order list reads both.
/// </summary>
public sealed class OrderBook(
    DaprClient dapr, Outbox outbox, ServiceIdentity service, TimeProvider time, IOptions<RetentionOptions> retention, ILogger<OrderBook> log)
    : IListedWork<Order>
{
    public const int PageSize = 50;

    private readonly string _store = service.StateStore;
    private readonly ShardedIndex _all = new(dapr, service.StateStore, "orders");

    private const string KeyPrefix = "order-";

    public static string KeyOf(string orderId) => KeyPrefix + orderId;

    public async Task<Order?> GetAsync(string orderId, CancellationToken cancellationToken) =>
        await dapr.GetStateAsync<Order?>(_store, KeyOf(orderId), cancellationToken: cancellationToken);

    /// <summary>The new order, or the one placed with the same idempotency key; null when the key was first used for another order.</summary>
    public async Task<Order?> PlaceAsync(NewOrder order, SagaFlow flow, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var orderId = Guid.CreateVersion7(time.GetUtcNow()).ToString();
        if (idempotencyKey is null) return (await CreateAsync(orderId, flow, order, cancellationToken, freshId: true)).Value!;

        // First write wins, so racing retries agree on one order id.
        var fingerprint = IdempotencyKeys.Fingerprint(order with { Items = [.. order.Items.OrderBy(i => i.ProductId, StringComparer.Ordinal)] });
        var use = await dapr.ClaimIdempotencyKeyAsync(
            _store, idempotencyKey, fingerprint, orderId, time.GetUtcNow(), retention.Value.Window, cancellationToken);
        if (use.ReusedForAnotherRequest) return null;
        return (await CreateAsync(use.ResourceId, flow, order, cancellationToken)).Value!;
    }

    /// <summary>Creates the order unless it exists (then returns it as stored); a <paramref name="freshId"/>, made just now, is not read first.</summary>
    public Task<Updated<Order>> CreateAsync(string orderId, SagaFlow flow, NewOrder order, CancellationToken cancellationToken, bool freshId = false) =>
        outbox.ChangeAsync<Order>(
            KeyOf(orderId), o => o ?? Order.Place(orderId, flow, order, time.GetUtcNow()), cancellationToken, freshKey: freshId);

    // A tombstone is terminal from its first write, never listed: it enters the order list before it.
    private Task EnterIndexAsync(Order? current, Order next, CancellationToken cancellationToken) =>
        current is null ? _all.AddAsync(next.OrderId, cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// The orchestrator's compensation never refuses: the order takes it, or, with no order yet, a
    /// tombstone is stored (first write wins) so a late create does nothing.
    /// </summary>
    public async Task<Order> CompensateAsync(string orderId, CancellationReason reason, CancellationToken cancellationToken)
    {
        var cancel = OrderTrigger.Compensate(reason);
        var updated = await outbox.ChangeAsync<Order>(
            KeyOf(orderId), o => o is null ? Order.Tombstone(orderId, reason, time.GetUtcNow()) : o.Take(cancel, time.GetUtcNow()),
            cancellationToken, EnterIndexAsync);
        return updated.Value!;
    }

    /// <summary>
    /// Applies <paramref name="decide"/> (null: nothing to change) and sends what it emitted; null when there is no such order.
    /// </summary>
    public async Task<Order?> ChangeAsync(string orderId, Func<Order, DateTimeOffset, Order?> decide, CancellationToken cancellationToken) =>
        (await outbox.ChangeAsync<Order>(KeyOf(orderId), o => o is null ? null : decide(o, time.GetUtcNow()), cancellationToken)).Value;

    public async Task<OrderPage> ListAsync(OrderStatus? status, SagaFlow? flow, int page, CancellationToken cancellationToken)
    {
        // Listed first: the sweep enters an order in the index before it unlists it, so none falls between the two reads.
        var listed = (await outbox.ListedKeysAsync(cancellationToken))
            .Where(k => k.StartsWith(KeyPrefix, StringComparison.Ordinal)).Select(k => k[KeyPrefix.Length..]);
        var ids = listed.Concat(await _all.ListAsync(cancellationToken)).Distinct(StringComparer.Ordinal).ToList();
        var orders = (await LoadAsync(ids, cancellationToken))
            .Where(o => (status is null || o.Status == status) && (flow is null || o.Flow == flow))
            .OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.OrderId, StringComparer.Ordinal)
            .ToList();
        return new OrderPage(orders.Skip((page - 1) * PageSize).Take(PageSize).ToList(), page, PageSize, orders.Count);
    }

    /// <summary>Cancels every listed open order older than <paramref name="deadline"/>; the outbox sweep unlists it once terminal.</summary>
    public async Task<int> CancelOverdueAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        var cancelled = 0;
        // An open order is listed from before its first write, so one listed for less than the deadline is not overdue (or is, a tick later).
        var overdue = (await outbox.ListedNotAtRestAsync<Order>(deadline, cancellationToken))
            .Where(o => time.GetUtcNow() - o.CreatedAt >= deadline)
            .Select(o => o.OrderId);
        await RecoveryPass.RunAsync(overdue, async orderId =>
        {
            var after = await ChangeAsync(orderId, (o, now) => o.CancelFromOutside(OrderTrigger.SagaDeadline, now), cancellationToken);
            if (after is { Status: OrderStatus.Cancelled, CancellationReason: CancellationReason.SagaTimedOut }) cancelled++;
        }, log, cancellationToken);
        return cancelled;
    }

    public Task<IReadOnlyCollection<string>> CarryOnAsync(IReadOnlyDictionary<string, Order> notAtRest, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyCollection<string>>([]);

    public Task LeavingTheListingAsync(IReadOnlyCollection<Order> resting, CancellationToken cancellationToken) =>
        _all.AddAllAsync(resting.Select(o => o.OrderId), cancellationToken);

    // Ids whose record is not there yet (creation under way or crashed before the write) are skipped.
    private async Task<IReadOnlyList<Order>> LoadAsync(IReadOnlyList<string> orderIds, CancellationToken cancellationToken) =>
        [.. (await dapr.ReadManyAsync<Order>(_store, orderIds.Select(KeyOf), cancellationToken)).Values.Select(s => s.Value)];
}
