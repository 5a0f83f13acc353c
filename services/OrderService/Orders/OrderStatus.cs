namespace DaprSaga.OrderService.Orders;

/// <summary>Where an order stands; Completed and Cancelled are terminal.</summary>
public enum OrderStatus { Pending, AwaitingPayment, Confirmed, Completed, Cancelled }

/// <summary>
/// The order state machine (docs/architecture.md, Order states): forward only, skipping allowed,
/// Cancelled from any non-terminal state.
/// </summary>
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

    /// <summary>The status <paramref name="trigger"/> moves an order in <paramref name="from"/> to, or null when it is late or backward.</summary>
    public static OrderStatus? Next(OrderStatus from, OrderTrigger trigger) =>
        CanMove(from, trigger.Target) ? trigger.Target : null;
}
