using System.Text.Json.Serialization;
using DaprSaga.Contracts;
using DaprSaga.OrderService.Timeline;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.OrderService.Orders;

/// <summary>
/// One line of an order's history: what came (a topic or a command) and whether it changed the
/// order. For an event: who published it, when it occurred there, and what it said; for a change
/// that announced something: the topic order-service published. The timeline is built from these.
/// The creation of an orchestrated order keeps the <paramref name="Engine"/> its orchestrator named.
/// </summary>
public sealed record HistoryEntry(
    DateTimeOffset At, string Trigger, bool Applied, string? Note = null,
    string? Publisher = null, DateTimeOffset? OccurredAt = null, StepDetail? Detail = null, string? Published = null,
    SagaEngine? Engine = null)
{
    // A factory, not a second constructor: the state store's JSON reads records through their one constructor.
    public static HistoryEntry Of(DateTimeOffset at, string trigger, bool applied, string note, ReceivedEvent? received) =>
        new(at, trigger, applied, note, received?.Publisher, received?.OccurredAt, received?.Detail);
}

/// <summary>What a command of the orchestrator finds: done, refused (the order is Cancelled), not due yet, or a choreography order.</summary>
public enum CommandOutcome { Done, Refused, NotDue, OtherFlow }

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
    IReadOnlyList<OutboxMessage> Outbox,
    string? OutboxListing = null) : IOutboxRecord<Order>
{
    /// <summary>
    /// What drives an orchestrated order, as its orchestrator said when it created it; null for a
    /// choreography order, a tombstone, or an orchestrator that did not say. Kept on the creation's
    /// history entry, so orders stored before engines were named read as unknown.
    /// </summary>
    [JsonIgnore]
    public SagaEngine? Engine => EngineOf(History);

    public static SagaEngine? EngineOf(IEnumerable<HistoryEntry> history) =>
        history.FirstOrDefault(h => h.Trigger == OrderCommands.Place)?.Engine;

    public static Order Place(string orderId, SagaFlow flow, NewOrder order, DateTimeOffset now)
    {
        var total = order.Items.Sum(i => i.Quantity * i.UnitPrice);
        var placed = new OrderPlaced(orderId, flow, order.CustomerId, order.Items, total, order.DeliveryZone, order.AutoConfirmPayment, now);
        // Only an orchestrated order has an engine, whatever a caller sent.
        var engine = flow == SagaFlow.Orchestration ? order.Engine : null;
        var note = engine is { } e ? $"{OrderStatus.Pending} ({flow}, {e} engine)" : $"{OrderStatus.Pending} ({flow})";
        return new Order(
            orderId, order.CustomerId, order.Items, total, order.DeliveryZone, order.AutoConfirmPayment, flow,
            OrderStatus.Pending, null, now, now,
            [new HistoryEntry(now, OrderCommands.Place, Applied: true, note, Published: Topics.OrderPlaced, Engine: engine)],
            [OutboxMessage.For(placed)]);
    }

    /// <summary>
    /// The orchestrator cancelled an order that was never created here: a tombstone, so a late
    /// create finds it Cancelled and does nothing. Silent, like the participants' tombstones:
    /// nothing was placed, so there is nothing to announce.
    /// </summary>
    public static Order Tombstone(string orderId, CancellationReason reason, DateTimeOffset now) => new(
        orderId, "", [], 0m, "", false, SagaFlow.Orchestration, OrderStatus.Cancelled, reason, now, now,
        [new HistoryEntry(now, OrderCommands.Compensate, Applied: true, $"{OrderStatus.Cancelled} ({reason}): a tombstone, no order yet")],
        []);

    /// <summary>
    /// Once confirmed, an orchestrated order may be past its saga's pivot (delivery scheduled),
    /// from where the saga only goes forward: only the orchestrator, compensating, may cancel it.
    /// </summary>
    public bool OnlyGoesForward => Flow == SagaFlow.Orchestration && Status == OrderStatus.Confirmed;

    /// <summary>A cancel from outside the saga's steps (the customer, the saga deadline): not taken by an order that <see cref="OnlyGoesForward"/>.</summary>
    public Order? CancelFromOutside(OrderTrigger cancel, DateTimeOffset now) =>
        OnlyGoesForward ? null : Apply(cancel, reacts: true, now);

    /// <summary>
    /// Takes a command of the orchestrator, the only one who drives an orchestrated order. One
    /// that is not due yet (complete before confirm) changes nothing, so it still counts when it
    /// comes again on time; one after the end is recorded, once. A choreography order is not the
    /// orchestrator's: untouched.
    /// </summary>
    public Order? Take(OrderTrigger command, DateTimeOffset now) =>
        Flow != SagaFlow.Orchestration || (!Status.IsTerminal() && OrderStateMachine.Next(Status, command) is null)
            ? null
            : Apply(command, reacts: true, now);

    /// <summary>
    /// How a command that wants the order at <paramref name="wanted"/> is answered: a compensation
    /// (Cancelled) is always done; otherwise done once the order got there or past it, refused
    /// once it is Cancelled.
    /// </summary>
    public CommandOutcome OutcomeOf(OrderStatus wanted) =>
        Flow != SagaFlow.Orchestration ? CommandOutcome.OtherFlow
        : wanted == OrderStatus.Cancelled ? CommandOutcome.Done
        : Status == OrderStatus.Cancelled ? CommandOutcome.Refused
        // Pending..Completed are declared in the happy path's order.
        : Status >= wanted ? CommandOutcome.Done
        : CommandOutcome.NotDue;

    /// <summary>
    /// Takes <paramref name="trigger"/>: moves the order and emits what the move announces, or,
    /// when it must not move (other flow, terminal, backward), only records it. Null when this
    /// trigger was taken before: a redelivery or a repeated command changes nothing.
    /// </summary>
    public Order? Apply(OrderTrigger trigger, bool reacts, DateTimeOffset now, ReceivedEvent? received = null)
    {
        if (HasSeen(trigger.Name)) return null;
        if (!reacts) return Recorded(trigger.Name, now, $"{Flow} order: recorded only", received);
        if (Status.IsTerminal()) return Recorded(trigger.Name, now, $"late: already {Status}", received);
        if (OrderStateMachine.Next(Status, trigger) is not { } next)
            return Recorded(trigger.Name, now, $"late: {Status} does not go back to {trigger.Target}", received);

        var reason = next == OrderStatus.Cancelled
            ? trigger.Reason ?? throw new ArgumentException("a cancellation needs a reason", nameof(trigger))
            : (CancellationReason?)null;
        var note = reason is { } r ? $"{Status} → {next} ({r})" : $"{Status} → {next}";
        var announced = Announce(next, reason, now).ToList();
        var entry = HistoryEntry.Of(now, trigger.Name, applied: true, note, received) with { Published = announced.FirstOrDefault()?.Topic };
        return this with
        {
            Status = next,
            CancellationReason = reason,
            UpdatedAt = now,
            History = [.. History, entry],
            Outbox = [.. Outbox, .. announced],
        };
    }

    /// <summary>Records another participant's fact for the timeline, once per topic.</summary>
    public Order? RecordFact(string topic, DateTimeOffset now, ReceivedEvent? received = null) =>
        HasSeen(topic) ? null : Recorded(topic, now, "fact", received);

    public Order WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing) => this with { Outbox = outbox, OutboxListing = listing };

    private bool HasSeen(string trigger) => History.Any(h => h.Trigger == trigger);

    private Order Recorded(string trigger, DateTimeOffset now, string note, ReceivedEvent? received) =>
        this with { History = [.. History, HistoryEntry.Of(now, trigger, applied: false, note, received)] };

    private IEnumerable<OutboxMessage> Announce(OrderStatus next, CancellationReason? reason, DateTimeOffset now) => next switch
    {
        OrderStatus.Confirmed => [OutboxMessage.For(new OrderConfirmed(OrderId, Flow, DeliveryZone, now))],
        OrderStatus.Completed => [OutboxMessage.For(new OrderCompleted(OrderId, Flow, now))],
        OrderStatus.Cancelled => [OutboxMessage.For(new OrderCancelled(OrderId, Flow, reason!.Value, now))],
        _ => [],
    };
}
