using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.OrderService.Orders;

public sealed record OrderPage(IReadOnlyList<Order> Orders, int Page, int PageSize, int TotalCount);

/// <summary>
/// The orders in order-store: one key per order (with its outbox), an index of every order
/// (for listing) and one of open orders (for the saga deadline). Every change is a single-key
/// conditional write; the indexes are entered before the record and left after it is terminal,
/// so a crash at any point leaves an id a reader skips, never a record nobody can find.
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

    /// <summary>
    /// Places a new order, or returns the one an earlier request with the same idempotency key
    /// placed; null when that key was first used for a different order.
    /// </summary>
    public async Task<Order?> PlaceAsync(NewOrder order, SagaFlow flow, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var orderId = Guid.CreateVersion7(time.GetUtcNow()).ToString();
        // A fresh id without an idempotency key: there is nothing to look for first.
        if (idempotencyKey is null) return (await EnterAsync(orderId, flow, order, cancellationToken)).Value!;

        // First write wins, so racing retries agree on one order id.
        var fingerprint = IdempotencyKeys.Fingerprint(order with { Items = [.. order.Items.OrderBy(i => i.ProductId, StringComparer.Ordinal)] });
        var use = await dapr.ClaimIdempotencyKeyAsync(_store, idempotencyKey, fingerprint, orderId, time.GetUtcNow(), cancellationToken);
        if (use.ReusedForAnotherRequest) return null;
        // A retry: the first request placed it (or crashed part way, and this run completes it).
        return (await CreateAsync(use.ResourceId, flow, order, cancellationToken)).Value!;
    }

    /// <summary>
    /// Creates the order unless it exists (Changed: this call created it), and returns the order
    /// as stored, which may be an earlier one or a tombstone. Rerun after a crash, it completes
    /// what is missing.
    /// </summary>
    public async Task<Updated<Order>> CreateAsync(string orderId, SagaFlow flow, NewOrder order, CancellationToken cancellationToken)
    {
        // A repeat that finds it placed and announced: one read, nothing entered again.
        if (await GetAsync(orderId, cancellationToken) is { Outbox.Count: 0 } existing) return new(existing, false);
        return await EnterAsync(orderId, flow, order, cancellationToken);
    }

    // The indexes first, then the order, so a crash in between leaves only ids a reader skips.
    private async Task<Updated<Order>> EnterAsync(string orderId, SagaFlow flow, NewOrder order, CancellationToken cancellationToken)
    {
        await _all.AddAsync(orderId, cancellationToken);
        await _open.AddAsync(orderId, cancellationToken);
        return await outbox.ChangeAsync<Order>(
            KeyOf(orderId), o => o ?? Order.Place(orderId, flow, order, time.GetUtcNow()), cancellationToken);
    }

    /// <summary>
    /// The orchestrator's cancel {reason}, a compensation, so it never refuses: the order takes it,
    /// or, when there is none yet, a tombstone is stored (first write wins) so a late create does
    /// nothing. Returns the order as it now is.
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

    /// <summary>
    /// Applies <paramref name="decide"/> (null = nothing to change) to the order and sends what it
    /// emitted. Returns the order as it now is, or null when there is no such order.
    /// </summary>
    public async Task<Order?> ChangeAsync(string orderId, Func<Order, DateTimeOffset, Order?> decide, CancellationToken cancellationToken)
    {
        // A repeat decides nothing on what it reads: one read, no write.
        var updated = await outbox.ChangeAsync<Order>(KeyOf(orderId), o => o is null ? null : decide(o, time.GetUtcNow()), cancellationToken);
        if (updated is { Changed: true, Value.Status: var status } && status.IsTerminal())
            await _open.RemoveAsync(orderId, cancellationToken);
        return updated.Value;
    }

    /// <summary>Orders newest first, filtered, one page (1-based) of <see cref="PageSize"/>.</summary>
    public async Task<OrderPage> ListAsync(OrderStatus? status, SagaFlow? flow, int page, CancellationToken cancellationToken)
    {
        var orders = (await LoadAsync(await _all.ListAsync(cancellationToken), cancellationToken))
            .Where(o => (status is null || o.Status == status) && (flow is null || o.Flow == flow))
            .OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.OrderId, StringComparer.Ordinal)
            .ToList();
        return new OrderPage(orders.Skip((page - 1) * PageSize).Take(PageSize).ToList(), page, PageSize, orders.Count);
    }

    /// <summary>The saga deadline: cancels every open order created <paramref name="deadline"/> ago or earlier.</summary>
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
            // An orchestrated order past its confirmation is left to its orchestrator (see Order.OnlyGoesForward).
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
