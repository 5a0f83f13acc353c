namespace DaprSaga.Contracts;

// Bodies of the HTTP commands. Every member is optional to the parser, so the 400 names a missing
// one instead of failing the whole body.

public sealed record OrderLineInput(string? ProductId = null, int? Quantity = null, decimal? UnitPrice = null);

/// <summary>POST /orders and POST /order-processes; the engine only on the latter.</summary>
public sealed record PlaceOrder(
    string? CustomerId = null, IReadOnlyList<OrderLineInput?>? Items = null, string? DeliveryZone = null,
    bool? AutoConfirmPayment = null, string? Engine = null);

public sealed record NewOrder(
    string CustomerId, IReadOnlyList<OrderLine> Items, string DeliveryZone, bool AutoConfirmPayment, SagaEngine? Engine = null)
{
    public decimal Total => Items.Sum(i => i.Quantity * i.UnitPrice);
}

public sealed record CreateOrder(
    string? CustomerId = null, IReadOnlyList<OrderLineInput?>? Items = null, string? DeliveryZone = null, SagaEngine? Engine = null);

/// <summary>POST /orders/{orderId}/cancel: by the customer (no body) or as the orchestrator's compensation.</summary>
public sealed record CancelOrder(CancellationReason? Reason = null);

/// <summary>POST /reservations/{orderId}; customerId and amount only ride on stock-reserved.</summary>
public sealed record ReserveStock(
    IReadOnlyList<OrderLineInput?>? Items = null, SagaFlow? Flow = null, string? CustomerId = null, decimal? Amount = null);

/// <summary>POST /payments/{orderId}; Preauthorised (default false): created debiting, with no customer to ask, as for autoConfirmPayment.</summary>
public sealed record CreatePayment(string? CustomerId = null, decimal? Amount = null, SagaFlow? Flow = null, bool? Preauthorised = null);

public sealed record VoidPayment(CancellationReason? Reason = null);

public sealed record ScheduleDelivery(string? Zone = null, SagaFlow? Flow = null);

public sealed record CancelDelivery(CancellationReason? Reason = null);

/// <summary>The `reason` a participant's 409 ProblemDetails carries when it refuses a command for good.</summary>
public sealed record CommandRefusal(CancellationReason? Reason = null);

public enum PaymentStatus { Pending, Confirmed, Cancelled, Refunded }

/// <summary>GET /payments/{orderId}; the orchestrator reads the customer's decision from it.</summary>
public sealed record PaymentView(
    string OrderId, string? CustomerId, decimal Amount, PaymentStatus Status, CancellationReason? Reason, DateTimeOffset? ExpiresAt);
