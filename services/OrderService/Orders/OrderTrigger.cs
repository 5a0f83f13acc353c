namespace DaprSaga.OrderService.Orders;

/// <summary>What may move an order: its name in the history (a topic or a command), the status it leads to, a cancellation's reason.</summary>
public sealed record OrderTrigger(string Name, OrderStatus Target, CancellationReason? Reason = null)
{
    public static OrderTrigger PaymentRequested { get; } = new(Topics.PaymentRequested, OrderStatus.AwaitingPayment);

    public static OrderTrigger PaymentConfirmed { get; } = new(Topics.PaymentConfirmed, OrderStatus.Confirmed);

    public static OrderTrigger DeliveryScheduled { get; } = new(Topics.DeliveryScheduled, OrderStatus.Completed);

    public static OrderTrigger DeliveryFailed { get; } =
        new(Topics.DeliveryFailed, OrderStatus.Cancelled, CancellationReason.NoCourierAvailable);

    public static OrderTrigger CustomerCancel { get; } =
        new(OrderCommands.Cancel, OrderStatus.Cancelled, CancellationReason.CustomerCancelled);

    public static OrderTrigger SagaDeadline { get; } =
        new(OrderCommands.SagaDeadline, OrderStatus.Cancelled, CancellationReason.SagaTimedOut);

    public static OrderTrigger StockReservationFailed(CancellationReason reason) =>
        new(Topics.StockReservationFailed, OrderStatus.Cancelled, reason);

    public static OrderTrigger PaymentCancelled(CancellationReason reason) =>
        new(Topics.PaymentCancelled, OrderStatus.Cancelled, reason);

    // The orchestrator's commands: named apart from the customer's cancel, so each is taken once.
    public static OrderTrigger Confirm { get; } = new(OrderCommands.Confirm, OrderStatus.Confirmed);

    public static OrderTrigger Complete { get; } = new(OrderCommands.Complete, OrderStatus.Completed);

    public static OrderTrigger Compensate(CancellationReason reason) => new(OrderCommands.Compensate, OrderStatus.Cancelled, reason);
}

public static class OrderCommands
{
    public const string Place = "place";
    public const string Cancel = "cancel";
    public const string SagaDeadline = "saga-deadline";
    public const string Confirm = "confirm";
    public const string Complete = "complete";
    public const string Compensate = "compensate";
}
