using System.Text.Json.Serialization;
using DaprSaga.OrderService.Timeline;

namespace DaprSaga.OrderService.Orders;

/// <summary>One line of an order's history (its timeline's source): what came, whether it applied, what it said and published.</summary>
public sealed record HistoryEntry(
    DateTimeOffset At, string Trigger, bool Applied, string? Note = null,
    string? Publisher = null, DateTimeOffset? OccurredAt = null, StepDetail? Detail = null, string? Published = null,
    SagaEngine? Engine = null)
{
    // A factory, not a second constructor: the state store's JSON reads records through their one constructor.
    public static HistoryEntry Of(DateTimeOffset at, string trigger, bool applied, string note, ReceivedEvent? received) =>
        new(at, trigger, applied, note, received?.Publisher, received?.OccurredAt, received?.Detail);
}

public enum CommandOutcome { Done, Refused, NotDue, OtherFlow }

/// <summary>An order with the events its last change emitted (the outbox); each decision returns the next order, or null for no change.</summary>
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
    [JsonIgnore]
    public SagaEngine? Engine => History.FirstOrDefault(h => h.Trigger == OrderCommands.Place)?.Engine;

    public static Order Place(string orderId, SagaFlow flow, NewOrder order, DateTimeOffset now)
    {
        // Only an orchestrated order has an engine, whatever a caller sent.
        var engine = flow == SagaFlow.Orchestration ? order.Engine : null;
        var note = engine is { } e ? $"{OrderStatus.Pending} ({flow}, {e} engine)" : $"{OrderStatus.Pending} ({flow})";
        return new Order(
            orderId, order.CustomerId, order.Items, order.Total, order.DeliveryZone, order.AutoConfirmPayment, flow,
            OrderStatus.Pending, null, now, now,
            [new HistoryEntry(now, OrderCommands.Place, Applied: true, note, Published: Topics.OrderPlaced, Engine: engine)],
            [OutboxMessage.For(new OrderPlaced(
                orderId, flow, order.CustomerId, order.Items, order.Total, order.DeliveryZone, order.AutoConfirmPayment, now))]);
    }

    /// <summary>Cancelled by the orchestrator before it was created: a late create finds it Cancelled. Nothing is announced.</summary>
    public static Order Tombstone(string orderId, CancellationReason reason, DateTimeOffset now) => new(
        orderId, "", [], 0m, "", false, SagaFlow.Orchestration, OrderStatus.Cancelled, reason, now, now,
        [new HistoryEntry(now, OrderCommands.Compensate, Applied: true, $"{OrderStatus.Cancelled} ({reason}): a tombstone, no order yet")],
        []);

    /// <summary>Maybe past its saga's pivot (delivery scheduled): only the orchestrator, compensating, may cancel it.</summary>
    public bool OnlyGoesForward => Flow == SagaFlow.Orchestration && Status == OrderStatus.Confirmed;

    public Order? CancelFromOutside(OrderTrigger cancel, DateTimeOffset now) =>
        OnlyGoesForward ? null : Apply(cancel, reacts: true, now);

    /// <summary>An orchestrator's command not due yet (complete before confirm) changes nothing, so it counts when it comes again.</summary>
    public Order? Take(OrderTrigger command, DateTimeOffset now) =>
        Flow != SagaFlow.Orchestration || (!Status.IsTerminal() && OrderStateMachine.Next(Status, command) is null)
            ? null
            : Apply(command, reacts: true, now);

    public CommandOutcome OutcomeOf(OrderStatus wanted) =>
        Flow != SagaFlow.Orchestration ? CommandOutcome.OtherFlow
        : wanted == OrderStatus.Cancelled ? CommandOutcome.Done
        : Status == OrderStatus.Cancelled ? CommandOutcome.Refused
        // Pending..Completed are declared in the happy path's order.
        : Status >= wanted ? CommandOutcome.Done
        : CommandOutcome.NotDue;

    /// <summary>Moves the order and announces it, or only records a trigger it must not follow; null when taken before.</summary>
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
        var announced = Announce(next, reason, now);
        var entry = HistoryEntry.Of(now, trigger.Name, applied: true, note, received) with { Published = announced?.Topic };
        return this with
        {
            Status = next,
            CancellationReason = reason,
            UpdatedAt = now,
            History = [.. History, entry],
            Outbox = announced is null ? Outbox : [.. Outbox, announced],
        };
    }

    public Order? RecordFact(string topic, DateTimeOffset now, ReceivedEvent? received = null) =>
        HasSeen(topic) ? null : Recorded(topic, now, "fact", received);

    public Order WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing) => this with { Outbox = outbox, OutboxListing = listing };

    // A placed order has at least one line.
    [JsonIgnore]
    public bool IsTombstone => Items.Count == 0;

    /// <summary>Terminal: its saga has ended, so the saga-deadline pass no longer needs to find it.</summary>
    [JsonIgnore]
    public bool IsAtRest => Status.IsTerminal();

    [JsonIgnore]
    public bool AwaitsAPass => !IsAtRest;

    private bool HasSeen(string trigger) => History.Any(h => h.Trigger == trigger);

    private Order Recorded(string trigger, DateTimeOffset now, string note, ReceivedEvent? received) =>
        this with { History = [.. History, HistoryEntry.Of(now, trigger, applied: false, note, received)] };

    private OutboxMessage? Announce(OrderStatus next, CancellationReason? reason, DateTimeOffset now) => next switch
    {
        OrderStatus.Confirmed => OutboxMessage.For(new OrderConfirmed(OrderId, Flow, DeliveryZone, now)),
        OrderStatus.Completed => OutboxMessage.For(new OrderCompleted(OrderId, Flow, now)),
        OrderStatus.Cancelled => OutboxMessage.For(new OrderCancelled(OrderId, Flow, reason!.Value, now)),
        _ => null,
    };
}
