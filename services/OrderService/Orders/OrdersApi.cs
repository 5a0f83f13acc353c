using DaprSaga.OrderService.Orchestration;
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

public static class OrdersApi
{
    public static RouteGroupBuilder MapOrdersApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/orders").WithTags("Orders");
        group.MapPost("/", PlaceAsync).Accepts<PlaceOrder>("application/json");
        group.MapGet("/{orderId}", GetAsync);
        group.MapGet("/", ListAsync);
        group.MapPost("/{orderId}/cancel", CancelAsync)
            .Accepts<CancelOrder>(isOptional: true, "application/json")
            .WithTags("Orders", ParticipantCommands.Tag);
        return group;
    }

    private static async Task<Results<Accepted<OrderAccepted>, ValidationProblem, ProblemHttpResult>> PlaceAsync(
        HttpRequest request, [FromHeader(Name = ApiAnswers.IdempotencyKeyHeader)] string? idempotencyKey, OrderBook orders,
        CancellationToken cancellationToken)
    {
        var (body, parseErrors) = await RequestJson.ReadAsync<PlaceOrder>(request, cancellationToken);
        if (parseErrors is not null) return TypedResults.ValidationProblem(parseErrors);
        var errors = NewOrderRules.Validate(body, orchestrated: false, out var order);
        if (idempotencyKey is not null) errors.Check(InputRules.IsId(idempotencyKey), ApiAnswers.IdempotencyKeyHeader, InputRules.IdMessage);
        if (errors.Count > 0 || order is null) return TypedResults.ValidationProblem(errors);

        var placed = await orders.PlaceAsync(order, SagaFlow.Choreography, idempotencyKey, cancellationToken);
        return placed is null ? ApiAnswers.IdempotencyKeyReused("order") : Accepted(placed);
    }

    private static async Task<Results<Ok<OrderView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, OrderBook orders, CancellationToken cancellationToken)
    {
        if (!InputRules.IsId(orderId)) return InvalidOrderId();
        return await orders.GetAsync(orderId, cancellationToken) is { } order ? TypedResults.Ok(OrderView.Of(order)) : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<OrderListPage>, ValidationProblem>> ListAsync(
        string? status, string? flow, string? page, OrderBook orders, CancellationToken cancellationToken)
    {
        var errors = new InputErrors();
        var statusFilter = Filter<OrderStatus>(status, nameof(status), errors);
        var flowFilter = Filter<SagaFlow>(flow, nameof(flow), errors);
        var pageNumber = 1;
        if (page is not null) errors.Check(int.TryParse(page, out pageNumber) && pageNumber >= 1, nameof(page), "must be a whole number from 1");
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var found = await orders.ListAsync(statusFilter, flowFilter, pageNumber, cancellationToken);
        return TypedResults.Ok(new OrderListPage(found.Orders.Select(OrderView.Of).ToList(), found.Page, found.PageSize, found.TotalCount));
    }

    // One route, two callers: without a body the customer's cancel (202, or 409 once Completed or past the
    // pivot); with {reason}, or from order-process-service, the orchestrator's compensation (never refused).
    private static async Task<CancelAnswer> CancelAsync(string orderId, HttpRequest request, OrderBook orders, CancellationToken cancellationToken)
    {
        var (body, parseErrors) = await RequestJson.ReadAsync<CancelOrder>(request, cancellationToken);
        var errors = parseErrors ?? [];
        if (!InputRules.IsId(orderId)) errors["orderId"] = [InputRules.IdMessage];
        var byOrchestrator = request.Headers[ParticipantCommands.CallerHeader] == AppIds.OrderProcessService || body?.Reason is not null;
        if (parseErrors is null && byOrchestrator && body?.Reason is null) errors["reason"] = [InputRules.RequiredMessage];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        if (!byOrchestrator) return await CancelForCustomerAsync(orderId, orders, cancellationToken);
        // The participant-command rule of ParticipantCommands.OnlyFromCaller (token, then caller), for this shared route.
        if (await ParticipantCommands.RefuseAsync(request.HttpContext, AppIds.OrderProcessService) is { } refused) return refused;
        var order = await orders.CompensateAsync(orderId, body!.Reason!.Value, cancellationToken);
        if (OrderCommandsApi.Refusal(order, OrderStatus.Cancelled) is { } otherFlow) return otherFlow;
        return TypedResults.Ok(OrderView.Of(order));
    }

    // A repeat finds the order Cancelled and answers 202 again without a second order-cancelled.
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

    internal static ValidationProblem InvalidOrderId() => TypedResults.ValidationProblem(InputErrors.Of("orderId", InputRules.IdMessage));

    private static TEnum? Filter<TEnum>(string? value, string field, InputErrors errors) where TEnum : struct, Enum =>
        string.IsNullOrEmpty(value) ? null
        : errors.Check(InputRules.TryParseName<TEnum>(value, out var parsed), field, InputRules.NamesOf<TEnum>()) ? parsed : null;
}
