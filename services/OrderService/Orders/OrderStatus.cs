namespace DaprSaga.OrderService.Orders;

public enum OrderStatus { Pending, AwaitingPayment, Confirmed, Completed, Cancelled }

/// <summary>Forward only, skipping allowed, Cancelled from any non-terminal state (docs/architecture.md, Order states).</summary>
public static class OrderStateMachine
{
    public static bool IsTerminal(this OrderStatus status) => status is OrderStatus.Completed or OrderStatus.Cancelled;

    public static bool CanMove(OrderStatus from, OrderStatus to) => from switch
    {
        OrderStatus.Pending => to is OrderStatus.AwaitingPayment or OrderStatus.Confirmed or OrderStatus.Cancelled,
        OrderStatus.AwaitingPayment => to is OrderStatus.Confirmed or OrderStatus.Cancelled,
        OrderStatus.Confirmed => to is OrderStatus.Completed or OrderStatus.Cancelled,
        _ => false,
    };

    public static OrderStatus? Next(OrderStatus from, OrderTrigger trigger) =>
        CanMove(from, trigger.Target) ? trigger.Target : null;
}
