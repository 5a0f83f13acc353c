using DaprSaga.Contracts;
using DaprSaga.OrderService.Orders;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.OrderService.Orchestration;

/// <summary>
/// The PUT /orders/{id} body: POST /orders's minus autoConfirmPayment (the orchestrator confirms
/// payments itself), plus the orchestrator's engine, optional so older orchestrators still create orders.
/// </summary>
public sealed record CreateOrderRequest(
    string? CustomerId = null, IReadOnlyList<OrderLineRequest?>? Items = null, string? DeliveryZone = null, SagaEngine? Engine = null);

/// <summary>
/// The participant commands order-process-service calls through Dapr service invocation: create
/// the order (flow Orchestration), confirm it, complete it; its compensation, cancel {reason},
/// shares the customer's cancel route (see OrdersApi). They are thin: the order's own decisions,
/// history and outbox, so a repeat finds its command in the history and answers the same
/// without a second event. Answers: 2xx done; 409 with `reason` refused (the order is
/// Cancelled), and the orchestrator compensates; anything else it retries.
/// </summary>
public static class OrderCommandsApi
{
    public const string Tag = "Participant commands";

    private const string EngineField = "engine";

    private static readonly string EngineMessage = $"one of {string.Join(", ", Enum.GetNames<SagaEngine>())}, or left out";

    public static RouteGroupBuilder MapOrderCommandsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/orders").WithTags(Tag).OnlyFromCaller(AppIds.OrderProcessService);
        group.MapPut("/{orderId}", CreateAsync).Accepts<CreateOrderRequest>("application/json");
        group.MapPost("/{orderId}/confirm", ConfirmAsync);
        group.MapPost("/{orderId}/complete", CompleteAsync);
        return group;
    }

    /// <summary>
    /// Creates the order as Orchestration, Pending, announcing order-placed (a fact: inventory
    /// reserves on the orchestrator's call, not on this event). First write wins: 201 + Location
    /// when this call created it, 200 with the stored order on a repeat, whatever its body. An
    /// order Cancelled first (by the customer, or a tombstone of an early compensation) stays as
    /// it is: 409 with its reason.
    /// </summary>
    private static async Task<Results<Created<OrderView>, Ok<OrderView>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        string orderId, HttpRequest request, OrderBook orders, CancellationToken cancellationToken)
    {
        var (body, parseErrors) = await RequestJson.ReadAsync<CreateOrderRequest>(request, cancellationToken);
        if (parseErrors?.ContainsKey(EngineField) == true) parseErrors[EngineField] = [EngineMessage];
        NewOrder? order = null;
        var errors = parseErrors ?? OrderInput.Validate(
            body is null ? null : new PlaceOrderRequest(body.CustomerId, body.Items, body.DeliveryZone), out order);
        if (!OrderInput.IsId(orderId)) errors["orderId"] = [OrderInput.IdMessage];
        if (errors.Count > 0 || order is null) return TypedResults.ValidationProblem(errors);

        var created = await orders.CreateAsync(orderId, SagaFlow.Orchestration, order with { Engine = body!.Engine }, cancellationToken);
        var stored = created.Value!;
        if (Refusal(stored, OrderStatus.Pending) is { } refusal) return refusal;
        return created.Changed ? TypedResults.Created($"/orders/{orderId}", OrderView.Of(stored)) : TypedResults.Ok(OrderView.Of(stored));
    }

    /// <summary>Pending → Confirmed, announcing order-confirmed once; 200 also when already Confirmed or Completed; 409 with the reason when Cancelled.</summary>
    private static Task<Results<Ok<OrderView>, NotFound, ProblemHttpResult, ValidationProblem>> ConfirmAsync(
        string orderId, OrderBook orders, CancellationToken cancellationToken) =>
        TakeAsync(orderId, OrderTrigger.Confirm, orders, cancellationToken);

    /// <summary>Confirmed → Completed, announcing order-completed once; 200 on a repeat; 409 with the reason when Cancelled; 409 without one (retry) before the confirm.</summary>
    private static Task<Results<Ok<OrderView>, NotFound, ProblemHttpResult, ValidationProblem>> CompleteAsync(
        string orderId, OrderBook orders, CancellationToken cancellationToken) =>
        TakeAsync(orderId, OrderTrigger.Complete, orders, cancellationToken);

    // Idempotent: the order records the command in its history, so a repeat changes nothing and
    // answers from the status it reached.
    private static async Task<Results<Ok<OrderView>, NotFound, ProblemHttpResult, ValidationProblem>> TakeAsync(
        string orderId, OrderTrigger command, OrderBook orders, CancellationToken cancellationToken)
    {
        if (!OrderInput.IsId(orderId)) return OrdersApi.InvalidOrderId();
        var order = await orders.ChangeAsync(orderId, (o, now) => o.Take(command, now), cancellationToken);
        if (order is null) return TypedResults.NotFound();
        if (Refusal(order, command.Target) is { } refusal) return refusal;
        return TypedResults.Ok(OrderView.Of(order));
    }

    /// <summary>
    /// The 409 for a command that wants the order at <paramref name="wanted"/>, or null when it is
    /// done. Only a Cancelled order carries a `reason`, the business refusal the orchestrator
    /// compensates for; the others say "not now" and it calls again.
    /// </summary>
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
