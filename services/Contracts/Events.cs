namespace DaprSaga.Contracts;

public enum SagaFlow { Choreography, Orchestration }

public enum CancellationReason
{
    OutOfStock,
    UnknownProduct,
    PriceChanged,
    UnknownCustomer,
    InsufficientCredit,
    PaymentCancelled,
    PaymentExpired,
    NoCourierAvailable,
    CustomerCancelled,
    SagaTimedOut,
}

public sealed record OrderLine(string ProductId, int Quantity, decimal UnitPrice);

/// <summary>
/// Every integration event names its saga (order id) and flow, and its topic on the wire.
/// Choreography reactions act only on <see cref="SagaFlow.Choreography"/>; observers see both.
/// </summary>
public interface IIntegrationEvent
{
    static abstract string Topic { get; }
    string OrderId { get; }
    SagaFlow Flow { get; }
    DateTimeOffset OccurredAt { get; }
}

public sealed record OrderPlaced(
    string OrderId, SagaFlow Flow, string CustomerId, IReadOnlyList<OrderLine> Items, decimal Total,
    string DeliveryZone, bool AutoConfirmPayment, DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public static string Topic => Topics.OrderPlaced;
}

public sealed record OrderConfirmed(string OrderId, SagaFlow Flow, string DeliveryZone, DateTimeOffset OccurredAt)
    : IIntegrationEvent
{
    public static string Topic => Topics.OrderConfirmed;
}

public sealed record OrderCompleted(string OrderId, SagaFlow Flow, DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public static string Topic => Topics.OrderCompleted;
}

public sealed record OrderCancelled(string OrderId, SagaFlow Flow, CancellationReason Reason, DateTimeOffset OccurredAt)
    : IIntegrationEvent
{
    public static string Topic => Topics.OrderCancelled;
}

public sealed record StockReserved(
    string OrderId, SagaFlow Flow, string CustomerId, decimal Amount, bool AutoConfirmPayment,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public static string Topic => Topics.StockReserved;
}

public sealed record StockReservationFailed(
    string OrderId, SagaFlow Flow, CancellationReason Reason, DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public static string Topic => Topics.StockReservationFailed;
}

public sealed record StockReleased(string OrderId, SagaFlow Flow, DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public static string Topic => Topics.StockReleased;
}

public sealed record StockCommitted(string OrderId, SagaFlow Flow, DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public static string Topic => Topics.StockCommitted;
}

public sealed record PaymentRequested(
    string OrderId, SagaFlow Flow, string CustomerId, decimal Amount, DateTimeOffset ExpiresAt,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public static string Topic => Topics.PaymentRequested;
}

public sealed record PaymentConfirmed(string OrderId, SagaFlow Flow, decimal Amount, DateTimeOffset OccurredAt)
    : IIntegrationEvent
{
    public static string Topic => Topics.PaymentConfirmed;
}

public sealed record PaymentCancelled(
    string OrderId, SagaFlow Flow, CancellationReason Reason, DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public static string Topic => Topics.PaymentCancelled;
}

public sealed record PaymentRefunded(string OrderId, SagaFlow Flow, decimal Amount, DateTimeOffset OccurredAt)
    : IIntegrationEvent
{
    public static string Topic => Topics.PaymentRefunded;
}

public sealed record DeliveryScheduled(string OrderId, SagaFlow Flow, string CourierId, DateTimeOffset OccurredAt)
    : IIntegrationEvent
{
    public static string Topic => Topics.DeliveryScheduled;
}

public sealed record DeliveryFailed(
    string OrderId, SagaFlow Flow, CancellationReason Reason, DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public static string Topic => Topics.DeliveryFailed;
}

public sealed record DeliveryCancelled(string OrderId, SagaFlow Flow, string? CourierId, DateTimeOffset OccurredAt)
    : IIntegrationEvent
{
    public static string Topic => Topics.DeliveryCancelled;
}
