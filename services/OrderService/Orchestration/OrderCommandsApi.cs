using DaprSaga.OrderService.Orders;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.OrderService.Orchestration;

/// <summary>
/// The orchestrator's commands; its compensation shares the customer's cancel route. A repeat finds its
/// command in the order's history and answers the same; a 409 with `reason` makes the orchestrator compensate.
/// </summary>
public static class OrderCommandsApi
{
    public static RouteGroupBuilder MapOrderCommandsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapParticipantCommands("/orders");
        group.MapPut("/{orderId}", CreateAsync).Accepts<CreateOrder>("application/json");
        group.MapPost("/{orderId}/confirm", (string orderId, OrderBook orders, CancellationToken cancellationToken) =>
            TakeAsync(orderId, OrderTrigger.Confirm, orders, cancellationToken));
        group.MapPost("/{orderId}/complete", (string orderId, OrderBook orders, CancellationToken cancellationToken) =>
            TakeAsync(orderId, OrderTrigger.Complete, orders, cancellationToken));
        return group;
    }

    // First write wins: 201 when this call created it, 200 on a repeat whatever its body, 409 with the
    // reason when it was Cancelled first (a tombstone). Its order-placed is a fact: inventory reserves on call.
    private static async Task<Results<Created<OrderView>, Ok<OrderView>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        string orderId, HttpRequest request, OrderBook orders, CancellationToken cancellationToken)
    {
        var (body, parseErrors) = await RequestJson.ReadAsync<CreateOrder>(request, cancellationToken);
        if (parseErrors?.ContainsKey("engine") == true) parseErrors["engine"] = [InputRules.NamesOf<SagaEngine>()];
        NewOrder? order = null;
        var errors = parseErrors ?? NewOrderRules.Validate(
            body is null ? null : new PlaceOrder(body.CustomerId, body.Items, body.DeliveryZone), orchestrated: false, out order);
        if (!InputRules.IsId(orderId)) errors["orderId"] = [InputRules.IdMessage];
        if (errors.Count > 0 || order is null) return TypedResults.ValidationProblem(errors);

        var created = await orders.CreateAsync(orderId, SagaFlow.Orchestration, order with { Engine = body!.Engine }, cancellationToken);
        var stored = created.Value!;
        if (Refusal(stored, OrderStatus.Pending) is { } refusal) return refusal;
        return created.Changed ? TypedResults.Created($"/orders/{orderId}", OrderView.Of(stored)) : TypedResults.Ok(OrderView.Of(stored));
    }

    private static async Task<Results<Ok<OrderView>, NotFound, ProblemHttpResult, ValidationProblem>> TakeAsync(
        string orderId, OrderTrigger command, OrderBook orders, CancellationToken cancellationToken)
    {
        if (!InputRules.IsId(orderId)) return OrdersApi.InvalidOrderId();
        var order = await orders.ChangeAsync(orderId, (o, now) => o.Take(command, now), cancellationToken);
        if (order is null) return TypedResults.NotFound();
        if (Refusal(order, command.Target) is { } refusal) return refusal;
        return TypedResults.Ok(OrderView.Of(order));
    }

    /// <summary>Null when done; only a Cancelled order's 409 carries a `reason`, the others say "not now" (e.g. complete before confirm).</summary>
    public static ProblemHttpResult? Refusal(Order order, OrderStatus wanted) => order.OutcomeOf(wanted) switch
    {
        CommandOutcome.Done => null,
        CommandOutcome.Refused => Conflict(
            order, "The order is cancelled", $"Order {order.OrderId} is Cancelled ({order.CancellationReason}).",
            ("reason", order.CancellationReason.ToString())),
        CommandOutcome.NotDue => Conflict(
            order, "The order is not there yet", $"Order {order.OrderId} is {order.Status}; it must be {wanted} first."),
        _ => Conflict(
            order, "Not an orchestrated order", $"Order {order.OrderId} follows the {order.Flow} flow; the orchestrator cannot drive it.",
            ("flow", order.Flow.ToString())),
    };

    private static ProblemHttpResult Conflict(Order order, string title, string detail, params (string Key, string? Value)[] extensions) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status409Conflict,
            title: title,
            detail: detail,
            extensions: extensions.Append((Key: "orderStatus", Value: order.Status.ToString()))
                .ToDictionary(e => e.Key, e => (object?)e.Value));
}
