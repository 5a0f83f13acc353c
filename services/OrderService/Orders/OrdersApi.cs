using System.Text.Json;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DaprSaga.OrderService.Orders;

/// <summary>What POST /orders and the cancel command answer with 202.</summary>
public sealed record OrderAccepted(string OrderId, OrderStatus Status, SagaFlow Flow);

/// <summary>The order resource of design.md, with its history (the record minus its outbox).</summary>
public sealed record OrderView(
    string OrderId, string CustomerId, IReadOnlyList<OrderLine> Items, decimal Total, string DeliveryZone, SagaFlow Flow,
    OrderStatus Status, CancellationReason? CancellationReason, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<HistoryEntry> History)
{
    public static OrderView Of(Order o) => new(
        o.OrderId, o.CustomerId, o.Items, o.Total, o.DeliveryZone, o.Flow, o.Status, o.CancellationReason, o.CreatedAt,
        o.UpdatedAt, o.History);
}

public sealed record OrderListPage(IReadOnlyList<OrderView> Items, int Page, int PageSize, int TotalCount);

/// <summary>The customer-facing order API: place (the choreography entry), read, list, cancel.</summary>
public static class OrdersApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapOrdersApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/orders").WithTags("Orders");
        group.MapPost("/", PlaceAsync).Accepts<PlaceOrderRequest>("application/json");
        group.MapGet("/{orderId}", GetAsync);
        group.MapGet("/", ListAsync);
        group.MapPost("/{orderId}/cancel", CancelAsync);
        return group;
    }

    private static async Task<Results<Accepted<OrderAccepted>, ValidationProblem>> PlaceAsync(
        HttpRequest request, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey, OrderBook orders,
        CancellationToken cancellationToken)
    {
        PlaceOrderRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<PlaceOrderRequest>(request.Body, ServiceDefaultsExtensions.JsonOptions, cancellationToken);
        }
        catch (JsonException e)
        {
            // Name the field the parser stopped at ("$.items[0].quantity" → "items[0].quantity").
            var field = e.Path is { Length: > 2 } path ? path[2..] : "body";
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = ["malformed JSON, or a value of the wrong type"] });
        }
        var errors = OrderInput.Validate(body, out var order);
        if (idempotencyKey is not null && !OrderInput.IsId(idempotencyKey))
            errors[IdempotencyKeyHeader] = ["1..64 characters of A-Z, a-z, 0-9, '-' or '_'"];
        if (errors.Count > 0 || order is null) return TypedResults.ValidationProblem(errors);

        var placed = await orders.PlaceAsync(order, SagaFlow.Choreography, idempotencyKey, cancellationToken);
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
    /// The customer cancels before completion. Idempotent: the order takes the cancel once, so a
    /// repeat finds it Cancelled and answers 202 again without a second order-cancelled.
    /// </summary>
    private static async Task<Results<Accepted<OrderAccepted>, NotFound, Conflict<ProblemDetails>, ValidationProblem>> CancelAsync(
        string orderId, OrderBook orders, CancellationToken cancellationToken)
    {
        if (!OrderInput.IsId(orderId)) return InvalidOrderId();
        var order = await orders.ChangeAsync(orderId, (o, now) => o.Apply(OrderTrigger.CustomerCancel, reacts: true, now), cancellationToken);
        if (order is null) return TypedResults.NotFound();
        if (order.Status != OrderStatus.Completed) return Accepted(order);
        return TypedResults.Conflict(new ProblemDetails
        {
            Title = "The order is completed",
            Detail = $"Order {orderId} is Completed and can no longer be cancelled.",
            Status = StatusCodes.Status409Conflict,
            Extensions = { ["orderStatus"] = nameof(OrderStatus.Completed) },
        });
    }

    private static Accepted<OrderAccepted> Accepted(Order order) =>
        TypedResults.Accepted($"/orders/{order.OrderId}", new OrderAccepted(order.OrderId, order.Status, order.Flow));

    private static ValidationProblem InvalidOrderId() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["orderId"] = ["1..64 characters of A-Z, a-z, 0-9, '-' or '_'"] });

    private static TEnum? ParseEnum<TEnum>(string? value, string field, Dictionary<string, string[]> errors) where TEnum : struct, Enum
    {
        if (string.IsNullOrEmpty(value)) return null;
        // Names only: Enum.TryParse would also take "2".
        if (!int.TryParse(value, out _) && Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)) return parsed;
        errors[field] = [$"one of {string.Join(", ", Enum.GetNames<TEnum>())}"];
        return null;
    }
}
