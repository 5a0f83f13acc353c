using DaprSaga.Contracts;
using DaprSaga.OrderService.Orchestration;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using CancelAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Accepted<DaprSaga.OrderService.Orders.OrderAccepted>,
    Microsoft.AspNetCore.Http.HttpResults.Ok<DaprSaga.OrderService.Orders.OrderView>,
    Microsoft.AspNetCore.Http.HttpResults.NotFound,
    Microsoft.AspNetCore.Http.HttpResults.Conflict<Microsoft.AspNetCore.Mvc.ProblemDetails>,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult,
    Microsoft.AspNetCore.Http.HttpResults.ValidationProblem>;

namespace DaprSaga.OrderService.Orders;

/// <summary>What POST /orders and the cancel command answer with 202.</summary>
public sealed record OrderAccepted(string OrderId, OrderStatus Status, SagaFlow Flow);

/// <summary>The order resource (docs/architecture.md, Wire shapes), with its history (the record minus its outbox).</summary>
public sealed record OrderView(
    string OrderId, string CustomerId, IReadOnlyList<OrderLine> Items, decimal Total, string DeliveryZone, SagaFlow Flow,
    SagaEngine? Engine, OrderStatus Status, CancellationReason? CancellationReason, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<HistoryEntry> History)
{
    public static OrderView Of(Order o) => new(
        o.OrderId, o.CustomerId, o.Items, o.Total, o.DeliveryZone, o.Flow, o.Engine, o.Status, o.CancellationReason, o.CreatedAt,
        o.UpdatedAt, o.History);
}

public sealed record OrderListPage(IReadOnlyList<OrderView> Items, int Page, int PageSize, int TotalCount);

/// <summary>The optional POST /orders/{id}/cancel body: only the orchestrator sends one, with why its saga compensates.</summary>
public sealed record CancelOrderRequest(CancellationReason? Reason = null);

/// <summary>The customer-facing order API: place (the choreography entry), read, list, cancel (shared with the orchestrator's compensation).</summary>
public static class OrdersApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapOrdersApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/orders").WithTags("Orders");
        group.MapPost("/", PlaceAsync).Accepts<PlaceOrderRequest>("application/json");
        group.MapGet("/{orderId}", GetAsync);
        group.MapGet("/", ListAsync);
        group.MapPost("/{orderId}/cancel", CancelAsync)
            .Accepts<CancelOrderRequest>(isOptional: true, "application/json")
            .WithTags("Orders", OrderCommandsApi.Tag);
        return group;
    }

    private static async Task<Results<Accepted<OrderAccepted>, ValidationProblem, ProblemHttpResult>> PlaceAsync(
        HttpRequest request, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey, OrderBook orders,
        CancellationToken cancellationToken)
    {
        var (body, parseErrors) = await RequestJson.ReadAsync<PlaceOrderRequest>(request, cancellationToken);
        if (parseErrors is not null) return TypedResults.ValidationProblem(parseErrors);
        var errors = OrderInput.Validate(body, out var order);
        if (idempotencyKey is not null && !OrderInput.IsId(idempotencyKey)) errors[IdempotencyKeyHeader] = [OrderInput.IdMessage];
        if (errors.Count > 0 || order is null) return TypedResults.ValidationProblem(errors);

        var placed = await orders.PlaceAsync(order, SagaFlow.Choreography, idempotencyKey, cancellationToken);
        if (placed is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused",
                detail: $"The {IdempotencyKeyHeader} was first used with a different order; use a new key for a new order.");
        }
        return Accepted(placed);
    }

    private static async Task<Results<Ok<OrderView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, OrderBook orders, CancellationToken cancellationToken)
    {
        if (!OrderInput.IsId(orderId)) return InvalidOrderId();
        return await orders.GetAsync(orderId, cancellationToken) is { } order ? TypedResults.Ok(OrderView.Of(order)) : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<OrderListPage>, ValidationProblem>> ListAsync(
        string? status, string? flow, string? page, OrderBook orders, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var statusFilter = ParseEnum<OrderStatus>(status, nameof(status), errors);
        var flowFilter = ParseEnum<SagaFlow>(flow, nameof(flow), errors);
        var pageNumber = 1;
        if (page is not null && (!int.TryParse(page, out pageNumber) || pageNumber < 1)) errors[nameof(page)] = ["a whole number from 1"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var found = await orders.ListAsync(statusFilter, flowFilter, pageNumber, cancellationToken);
        return TypedResults.Ok(new OrderListPage(found.Orders.Select(OrderView.Of).ToList(), found.Page, found.PageSize, found.TotalCount));
    }

    /// <summary>
    /// One route, two callers. Without a body it is the customer's cancel: 202, or 409 once the
    /// order is Completed (or orchestrated and Confirmed: its saga may be past the point of no
    /// return). With a body {reason}, or from order-process-service, it is the orchestrator's
    /// compensation: never refused, 200 with the order as it now is.
    /// </summary>
    private static async Task<CancelAnswer> CancelAsync(string orderId, HttpRequest request, OrderBook orders, CancellationToken cancellationToken)
    {
        var (body, parseErrors) = await RequestJson.ReadAsync<CancelOrderRequest>(request, cancellationToken);
        var errors = parseErrors ?? [];
        if (!OrderInput.IsId(orderId)) errors["orderId"] = [OrderInput.IdMessage];
        var byOrchestrator = request.Headers[ParticipantCommands.CallerHeader] == AppIds.OrderProcessService || body?.Reason is not null;
        if (parseErrors is null && byOrchestrator && body?.Reason is null) errors["reason"] = ["the orchestrator's cancel names a cancellation reason"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        if (!byOrchestrator) return await CancelForCustomerAsync(orderId, orders, cancellationToken);
        // The participant-command rule of ParticipantCommands.OnlyFromCaller (token, then caller), for this shared route.
        if (await ParticipantCommands.RefuseAsync(request.HttpContext, AppIds.OrderProcessService) is { } refused) return refused;
        var order = await orders.CompensateAsync(orderId, body!.Reason!.Value, cancellationToken);
        if (OrderCommandsApi.Refusal(order, OrderStatus.Cancelled) is { } otherFlow) return otherFlow;
        return TypedResults.Ok(OrderView.Of(order));
    }

    /// <summary>
    /// The customer cancels before completion. Idempotent: the order takes the cancel once, so a
    /// repeat finds it Cancelled and answers 202 again without a second order-cancelled.
    /// </summary>
    private static async Task<CancelAnswer> CancelForCustomerAsync(string orderId, OrderBook orders, CancellationToken cancellationToken)
    {
        var order = await orders.ChangeAsync(orderId, (o, now) => o.CancelFromOutside(OrderTrigger.CustomerCancel, now), cancellationToken);
        if (order is null) return TypedResults.NotFound();
        if (order.Status != OrderStatus.Completed && !order.OnlyGoesForward) return Accepted(order);
        return TypedResults.Conflict(new ProblemDetails
        {
            Title = order.OnlyGoesForward ? "The order's saga only goes forward now" : "The order is completed",
            Detail = order.OnlyGoesForward
                ? $"Order {orderId} is Confirmed by its orchestrator, which may already have scheduled the delivery."
                : $"Order {orderId} is Completed and can no longer be cancelled.",
            Status = StatusCodes.Status409Conflict,
            Extensions = { ["orderStatus"] = order.Status.ToString() },
        });
    }

    private static Accepted<OrderAccepted> Accepted(Order order) =>
        TypedResults.Accepted($"/orders/{order.OrderId}", new OrderAccepted(order.OrderId, order.Status, order.Flow));

    internal static ValidationProblem InvalidOrderId() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["orderId"] = [OrderInput.IdMessage] });

    private static TEnum? ParseEnum<TEnum>(string? value, string field, Dictionary<string, string[]> errors) where TEnum : struct, Enum
    {
        if (string.IsNullOrEmpty(value)) return null;
        // Names only: Enum.TryParse would also take "2".
        if (!int.TryParse(value, out _) && Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)) return parsed;
        errors[field] = [$"one of {string.Join(", ", Enum.GetNames<TEnum>())}"];
        return null;
    }
}
