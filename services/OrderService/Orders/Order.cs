using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.OrderService.Orders;

/// <summary>One line of an order's history: what came (a topic or a command) and whether it changed the order.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string Trigger, bool Applied, string? Note = null);

/// <summary>A validated order as the customer (or, later, the orchestrator) asked for it.</summary>
public sealed record NewOrder(string CustomerId, IReadOnlyList<OrderLine> Items, string DeliveryZone, bool AutoConfirmPayment);

/// <summary>
/// An order, stored under one key with the events its last change emitted (the outbox). Every
/// decision is a pure function returning the next order, or null when there is nothing to change.
/// </summary>
public sealed record Order(
    string OrderId,
    string CustomerId,
    IReadOnlyList<OrderLine> Items,
    decimal Total,
    string DeliveryZone,
    bool AutoConfirmPayment,
    SagaFlow Flow,
    OrderStatus Status,
    CancellationReason? CancellationReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<HistoryEntry> History,
    IReadOnlyList<OutboxMessage> Outbox) : IOutboxRecord<Order>
{
    public static Order Place(string orderId, SagaFlow flow, NewOrder order, DateTimeOffset now)
    {
        var total = order.Items.Sum(i => i.Quantity * i.UnitPrice);
        var placed = new OrderPlaced(orderId, flow, order.CustomerId, order.Items, total, order.DeliveryZone, order.AutoConfirmPayment, now);
        return new Order(
            orderId, order.CustomerId, order.Items, total, order.DeliveryZone, order.AutoConfirmPayment, flow,
            OrderStatus.Pending, null, now, now,
            [new HistoryEntry(now, OrderCommands.Place, Applied: true, $"{OrderStatus.Pending} ({flow})")],
            [OutboxMessage.For(placed)]);
    }

    /// <summary>
    /// Takes <paramref name="trigger"/>: moves the order and emits what the move announces, or,
    /// when it must not move (other flow, terminal, backward), only records it. Null when this
    /// trigger was taken before: a redelivery or a repeated command changes nothing.
    /// </summary>
    public Order? Apply(OrderTrigger trigger, bool reacts, DateTimeOffset now)
    {
        if (HasSeen(trigger.Name)) return null;
        if (!reacts) return Recorded(trigger.Name, now, $"{Flow} order: recorded only");
        if (Status.IsTerminal()) return Recorded(trigger.Name, now, $"late: already {Status}");
        if (OrderStateMachine.Next(Status, trigger) is not { } next)
            return Recorded(trigger.Name, now, $"late: {Status} does not go back to {trigger.Target}");

        var reason = next == OrderStatus.Cancelled
            ? trigger.Reason ?? throw new ArgumentException("a cancellation needs a reason", nameof(trigger))
            : (CancellationReason?)null;
        var note = reason is { } r ? $"{Status} → {next} ({r})" : $"{Status} → {next}";
        return this with
        {
            Status = next,
            CancellationReason = reason,
            UpdatedAt = now,
            History = [.. History, new HistoryEntry(now, trigger.Name, Applied: true, note)],
            Outbox = [.. Outbox, .. Announce(next, reason, now)],
        };
    }

    /// <summary>Records another participant's fact for the timeline, once per topic.</summary>
    public Order? RecordFact(string topic, DateTimeOffset now) => HasSeen(topic) ? null : Recorded(topic, now, "fact");

    public Order WithOutbox(IReadOnlyList<OutboxMessage> outbox) => this with { Outbox = outbox };

    private bool HasSeen(string trigger) => History.Any(h => h.Trigger == trigger);

    private Order Recorded(string trigger, DateTimeOffset now, string note) =>
        this with { History = [.. History, new HistoryEntry(now, trigger, Applied: false, note)] };

    private IEnumerable<OutboxMessage> Announce(OrderStatus next, CancellationReason? reason, DateTimeOffset now) => next switch
    {
        OrderStatus.Confirmed => [OutboxMessage.For(new OrderConfirmed(OrderId, Flow, DeliveryZone, now))],
        OrderStatus.Completed => [OutboxMessage.For(new OrderCompleted(OrderId, Flow, now))],
        OrderStatus.Cancelled => [OutboxMessage.For(new OrderCancelled(OrderId, Flow, reason!.Value, now))],
        _ => [],
    };
}
