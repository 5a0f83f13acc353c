using DaprSaga.OrderService.Orders;

namespace DaprSaga.OrderService.Tests;

/// <summary>The transition table of docs/architecture.md, Order states, for every (state, trigger) pair.</summary>
public sealed class OrderStateMachineTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlyDictionary<string, OrderTrigger> Triggers = new Dictionary<string, OrderTrigger>
    {
        [Topics.PaymentRequested] = OrderTrigger.PaymentRequested,
        [Topics.PaymentConfirmed] = OrderTrigger.PaymentConfirmed,
        [Topics.DeliveryScheduled] = OrderTrigger.DeliveryScheduled,
        [Topics.StockReservationFailed] = OrderTrigger.StockReservationFailed(CancellationReason.OutOfStock),
        [Topics.PaymentCancelled] = OrderTrigger.PaymentCancelled(CancellationReason.InsufficientCredit),
        [Topics.DeliveryFailed] = OrderTrigger.DeliveryFailed,
        ["customer-cancel"] = OrderTrigger.CustomerCancel,
        ["saga-deadline"] = OrderTrigger.SagaDeadline,
    };

    // null = not applied (late or backward): recorded in the history only.
    public static TheoryData<OrderStatus, string, OrderStatus?> Table()
    {
        const OrderStatus P = OrderStatus.Pending, A = OrderStatus.AwaitingPayment, C = OrderStatus.Confirmed,
            D = OrderStatus.Completed, X = OrderStatus.Cancelled;
        var rows = new (OrderStatus From, OrderStatus?[] To)[]
        {
            //   requested  confirmed  scheduled  stock-fail  pay-cancel  deliv-fail  customer  deadline
            (P, [A,         C,         null,      X,          X,          X,          X,        X]),
            (A, [null,      C,         null,      X,          X,          X,          X,        X]),
            (C, [null,      null,      D,         X,          X,          X,          X,        X]),
            (D, [null,      null,      null,      null,       null,       null,       null,     null]),
            (X, [null,      null,      null,      null,       null,       null,       null,     null]),
        };
        var names = Triggers.Keys.ToList();
        var data = new TheoryData<OrderStatus, string, OrderStatus?>();
        foreach (var (from, to) in rows)
        {
            for (var i = 0; i < names.Count; i++) data.Add(from, names[i], to[i]);
        }
        return data;
    }

    [Fact]
    public void TheTableCoversEveryStateAndEveryTrigger() =>
        Assert.Equal(Enum.GetValues<OrderStatus>().Length * Triggers.Count, Table().Count);

    [Theory]
    [MemberData(nameof(Table))]
    public void TheStateMachineMovesOnlyForwardAndNeverOutOfATerminalState(OrderStatus from, string trigger, OrderStatus? expected) =>
        Assert.Equal(expected, OrderStateMachine.Next(from, Triggers[trigger]));

    [Theory]
    [MemberData(nameof(Table))]
    public void AnOrderAppliesWhatTheTableAllowsAndOnlyRecordsTheRest(OrderStatus from, string trigger, OrderStatus? expected)
    {
        var order = OrderIn(from);

        var next = order.Apply(Triggers[trigger], reacts: true, Now.AddMinutes(1));

        // The trigger that brought the order here comes again: a repeat changes nothing.
        if (order.History.Any(h => h.Trigger == Triggers[trigger].Name))
        {
            Assert.Null(next);
            return;
        }
        Assert.NotNull(next);
        var entry = next.History[^1];
        Assert.Equal((Triggers[trigger].Name, expected is not null), (entry.Trigger, entry.Applied));
        Assert.Equal(expected ?? from, next.Status);
        var emitted = next.Outbox.Skip(order.Outbox.Count).Select(m => m.Topic).ToList();
        Assert.Equal(expected switch
        {
            OrderStatus.Confirmed => [Topics.OrderConfirmed],
            OrderStatus.Completed => [Topics.OrderCompleted],
            OrderStatus.Cancelled => [Topics.OrderCancelled],
            _ => (List<string>)[],
        }, emitted);
        if (expected == OrderStatus.Cancelled) Assert.Equal(Triggers[trigger].Reason, next.CancellationReason);
        else Assert.Equal(order.CancellationReason, next.CancellationReason);
    }

    [Fact]
    public void PlacingAnOrderTotalsItsLinesAndEmitsOrderPlaced()
    {
        var order = Place();

        Assert.Equal((OrderStatus.Pending, 2 * 10.00m + 1 * 99.00m), (order.Status, order.Total));
        var placed = Assert.Single(order.Outbox);
        Assert.Equal(Topics.OrderPlaced, placed.Topic);
        Assert.Equal(119.00m, placed.Data.GetProperty("total").GetDecimal());
        Assert.Equal("Choreography", placed.Data.GetProperty("flow").GetString());
    }

    [Fact]
    public void ATriggerTakenOnceChangesNothingTheSecondTime()
    {
        var confirmed = Place().Apply(OrderTrigger.PaymentConfirmed, reacts: true, Now)!;

        Assert.Null(confirmed.Apply(OrderTrigger.PaymentConfirmed, reacts: true, Now));
    }

    [Fact]
    public void ALateTriggerIsRecordedOnceAndThenIgnored()
    {
        var cancelled = Place().Apply(OrderTrigger.CustomerCancel, reacts: true, Now)!;

        var recorded = cancelled.Apply(OrderTrigger.PaymentConfirmed, reacts: true, Now)!;

        Assert.Equal((false, "late: already Cancelled"), (recorded.History[^1].Applied, recorded.History[^1].Note));
        Assert.Null(recorded.Apply(OrderTrigger.PaymentConfirmed, reacts: true, Now));
    }

    [Fact]
    public void ATriggerOfTheOtherFlowIsRecordedWithoutMovingTheOrder()
    {
        var order = Place();

        var next = order.Apply(OrderTrigger.PaymentConfirmed, reacts: false, Now)!;

        Assert.Equal(OrderStatus.Pending, next.Status);
        Assert.False(next.History[^1].Applied);
        Assert.Equal(order.Outbox, next.Outbox);
    }

    [Fact]
    public void PaymentConfirmedBeforePaymentRequestedSkipsForwardAndTheLateRequestIsOnlyRecorded()
    {
        var confirmed = Place().Apply(OrderTrigger.PaymentConfirmed, reacts: true, Now)!;

        var after = confirmed.Apply(OrderTrigger.PaymentRequested, reacts: true, Now)!;

        Assert.Equal(OrderStatus.Confirmed, after.Status);
        Assert.False(after.History[^1].Applied);
    }

    [Fact]
    public void AFactIsRecordedOncePerTopicAndNeverMovesTheOrder()
    {
        var order = Place();

        var recorded = order.RecordFact(Topics.StockReserved, Now)!;

        Assert.Equal(OrderStatus.Pending, recorded.Status);
        Assert.Equal((Topics.StockReserved, false), (recorded.History[^1].Trigger, recorded.History[^1].Applied));
        Assert.Null(recorded.RecordFact(Topics.StockReserved, Now));
    }

    private static Order Place() => Order.Place("o-1", SagaFlow.Choreography,
        new NewOrder("alice", [new OrderLine("widget", 2, 10.00m), new OrderLine("gizmo", 1, 99.00m)], "north", false), Now);

    /// <summary>An order brought to <paramref name="status"/> by the usual path, its outbox cleared.</summary>
    private static Order OrderIn(OrderStatus status)
    {
        var order = Place();
        var path = status switch
        {
            OrderStatus.AwaitingPayment => [OrderTrigger.PaymentRequested],
            OrderStatus.Confirmed => [OrderTrigger.PaymentConfirmed],
            OrderStatus.Completed => [OrderTrigger.PaymentConfirmed, OrderTrigger.DeliveryScheduled],
            OrderStatus.Cancelled => [new OrderTrigger("test-cancel", OrderStatus.Cancelled, CancellationReason.PriceChanged)],
            _ => Array.Empty<OrderTrigger>(),
        };
        foreach (var trigger in path) order = order.Apply(trigger, reacts: true, Now)!;
        Assert.Equal(status, order.Status);
        return order.WithOutbox([], null);
    }
}
