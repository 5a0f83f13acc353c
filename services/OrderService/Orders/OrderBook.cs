using Dapr.Client;

namespace DaprSaga.OrderService.Orders;

public sealed record OrderPage(IReadOnlyList<Order> Orders, int Page, int PageSize, int TotalCount);

/// <summary>
/// One key per order (with its outbox), an index of every order and one of open orders. The
/// indexes are entered before the record and left after it is terminal, so a crash leaves at
/// worst an id a reader skips, never a record nobody can find.
/// </summary>
public sealed class OrderBook(DaprClient dapr, Outbox outbox, ServiceIdentity service, TimeProvider time, ILogger<OrderBook> log)
{
    public const int PageSize = 50;

    private readonly string _store = service.StateStore;
    private readonly ShardedIndex _all = new(dapr, service.StateStore, "orders");
    private readonly ShardedIndex _open = new(dapr, service.StateStore, "open-orders");

    public static string KeyOf(string orderId) => $"order-{orderId}";

    public async Task<Order?> GetAsync(string orderId, CancellationToken cancellationToken) =>
        await dapr.GetStateAsync<Order?>(_store, KeyOf(orderId), cancellationToken: cancellationToken);

    /// <summary>The new order, or the one placed with the same idempotency key; null when the key was first used for another order.</summary>
    public async Task<Order?> PlaceAsync(NewOrder order, SagaFlow flow, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var orderId = Guid.CreateVersion7(time.GetUtcNow()).ToString();
        if (idempotencyKey is null) return (await EnterAsync(orderId, flow, order, cancellationToken)).Value!;

        // First write wins, so racing retries agree on one order id.
        var fingerprint = IdempotencyKeys.Fingerprint(order with { Items = [.. order.Items.OrderBy(i => i.ProductId, StringComparer.Ordinal)] });
        var use = await dapr.ClaimIdempotencyKeyAsync(_store, idempotencyKey, fingerprint, orderId, time.GetUtcNow(), cancellationToken);
        if (use.ReusedForAnotherRequest) return null;
        return (await CreateAsync(use.ResourceId, flow, order, cancellationToken)).Value!;
    }

    /// <summary>Creates the order unless it exists (then returns it as stored, maybe a tombstone); rerun after a crash, it completes it.</summary>
    public async Task<Updated<Order>> CreateAsync(string orderId, SagaFlow flow, NewOrder order, CancellationToken cancellationToken)
    {
        if (await GetAsync(orderId, cancellationToken) is { Outbox.Count: 0 } existing) return new(existing, false);
        return await EnterAsync(orderId, flow, order, cancellationToken);
    }

    private async Task<Updated<Order>> EnterAsync(string orderId, SagaFlow flow, NewOrder order, CancellationToken cancellationToken)
    {
        await _all.AddAsync(orderId, cancellationToken);
        await _open.AddAsync(orderId, cancellationToken);
        return await outbox.ChangeAsync<Order>(
            KeyOf(orderId), o => o ?? Order.Place(orderId, flow, order, time.GetUtcNow()), cancellationToken);
    }

    /// <summary>
    /// The orchestrator's compensation never refuses: the order takes it, or, with no order yet, a
    /// tombstone is stored (first write wins) so a late create does nothing.
    /// </summary>
    public async Task<Order> CompensateAsync(string orderId, CancellationReason reason, CancellationToken cancellationToken)
    {
        var cancel = OrderTrigger.Compensate(reason);
        if (await ChangeAsync(orderId, (o, now) => o.Take(cancel, now), cancellationToken) is { } order) return order;

        await _all.AddAsync(orderId, cancellationToken);
        var tombstone = await dapr.UpdateAsync<Order>(
            _store, KeyOf(orderId), o => o ?? Order.Tombstone(orderId, reason, time.GetUtcNow()), cancellationToken);
        // A create won the race: that order takes the cancel like any other.
        return tombstone.Changed
            ? tombstone.Value!
            : (await ChangeAsync(orderId, (o, now) => o.Take(cancel, now), cancellationToken))!;
    }

    /// <summary>Applies <paramref name="decide"/> (null: nothing to change) and sends what it emitted; null when there is no such order.</summary>
    public async Task<Order?> ChangeAsync(string orderId, Func<Order, DateTimeOffset, Order?> decide, CancellationToken cancellationToken)
    {
        var updated = await outbox.ChangeAsync<Order>(KeyOf(orderId), o => o is null ? null : decide(o, time.GetUtcNow()), cancellationToken);
        if (updated is { Changed: true, Value.Status: var status } && status.IsTerminal())
            await _open.RemoveAsync(orderId, cancellationToken);
        return updated.Value;
    }

    public async Task<OrderPage> ListAsync(OrderStatus? status, SagaFlow? flow, int page, CancellationToken cancellationToken)
    {
        var orders = (await LoadAsync(await _all.ListAsync(cancellationToken), cancellationToken))
            .Where(o => (status is null || o.Status == status) && (flow is null || o.Flow == flow))
            .OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.OrderId, StringComparer.Ordinal)
            .ToList();
        return new OrderPage(orders.Skip((page - 1) * PageSize).Take(PageSize).ToList(), page, PageSize, orders.Count);
    }

    public async Task<int> CancelOverdueAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        var cancelled = 0;
        await RecoveryPass.RunAsync(await LoadAsync(await _open.ListAsync(cancellationToken), cancellationToken), async order =>
        {
            if (order.Status.IsTerminal())
            {
                // Finished, but the crash came before it left the index.
                await _open.RemoveAsync(order.OrderId, cancellationToken);
                return;
            }
            if (time.GetUtcNow() - order.CreatedAt < deadline) return;
            var after = await ChangeAsync(order.OrderId, (o, now) => o.CancelFromOutside(OrderTrigger.SagaDeadline, now), cancellationToken);
            if (after is { Status: OrderStatus.Cancelled, CancellationReason: CancellationReason.SagaTimedOut }) cancelled++;
        }, log, cancellationToken);
        return cancelled;
    }

    // Ids whose record is not there yet (creation under way or crashed before the write) are skipped.
    private async Task<IReadOnlyList<Order>> LoadAsync(IReadOnlyList<string> orderIds, CancellationToken cancellationToken)
    {
        if (orderIds.Count == 0) return [];
        var items = await dapr.GetBulkStateAsync<Order?>(
            _store, orderIds.Select(KeyOf).ToList(), parallelism: 8, cancellationToken: cancellationToken);
        return items.Where(i => i.Value is not null).Select(i => i.Value!).ToList();
    }
}
