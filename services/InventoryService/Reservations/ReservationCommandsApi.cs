using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.InventoryService.Reservations;

/// <summary>
/// The participant commands order-process-service calls through Dapr service invocation: thin
/// wrappers over <see cref="StockReservations"/>, the operations the choreography reactions use,
/// so the decisions, phases, outbox and idempotency are the same for both flows.
/// </summary>
public static class ReservationCommandsApi
{
    public const string Tag = "Participant commands";
    public const int MaxLines = 50;

    /// <summary>POST /reservations/{orderId} body; every member optional to the parser, so a missing one is named in the 400.</summary>
    public sealed record ReserveStock(
        IReadOnlyList<ReserveLine?>? Items = null, SagaFlow? Flow = null, string? CustomerId = null, decimal? Amount = null);

    public sealed record ReserveLine(string? ProductId = null, int? Quantity = null, decimal? UnitPrice = null);

    public static RouteGroupBuilder MapReservationCommandsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/reservations").WithTags(Tag).OnlyFromCaller(AppIds.OrderProcessService);
        group.MapPost("/{orderId}", ReserveAsync)
            .Accepts<ReserveStock>("application/json")
            .WithSummary("Reserves the order's stock, all or nothing")
            .WithDescription(
                "200 with the reservation once Reserved; 409 `UnknownProduct` | `PriceChanged` | `OutOfStock` once Rejected " +
                "(stored: a repeat answers the same). customerId and amount are optional and only ride on `stock-reserved`. " +
                "A reservation released before it was made (a tombstone) answers 200 with it as it is, Released: only the " +
                "orchestrator's own compensation leaves one, so it is compensating anyway.");
        group.MapPost("/{orderId}/release", ReleaseAsync)
            .WithSummary("Gives the stock back (the compensation; never refused)")
            .WithDescription(
                "Reserved: the stock goes back on hand (Released, `stock-released`). No reservation yet: a Released tombstone, " +
                "so a late reserve holds nothing. Otherwise 200 with the reservation as it is.");
        group.MapPost("/{orderId}/commit", CommitAsync)
            .WithSummary("Moves the reserved stock to sold (past the pivot)")
            .WithDescription(
                "Reserved: Committed (`stock-committed`); already Committed: 200. Released, Rejected or no reservation: 409 " +
                "without a reason (cannot happen past the pivot; the orchestrator retries).");
        return group;
    }

    // Idempotent: the reservation is decided once per order (first write), a repeat finishes
    // whatever phase is under way and answers the stored outcome; holds are per order id.
    private static async Task<Results<Ok<ReservationView>, ProblemHttpResult, ValidationProblem>> ReserveAsync(
        string orderId, HttpRequest request, StockReservations reservations, CancellationToken cancellationToken)
    {
        var (body, bodyErrors) = await RequestJson.ReadAsync<ReserveStock>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);
        var errors = Validate(orderId, body, out var reserve);
        if (reserve is null) return TypedResults.ValidationProblem(errors);

        var reservation = await reservations.ReserveAsync(reserve, cancellationToken);
        if (reservation.Phase == ReservationPhase.Rejected) return Refused(reservation);
        return TypedResults.Ok(ViewOf(reservation));
    }

    // Idempotent: a release happens once (Reserved → Released, then the holds go back), a tombstone
    // is a first write, and giving a product's hold back is a no-op once done.
    private static async Task<Results<Ok<ReservationView>, ValidationProblem>> ReleaseAsync(
        string orderId, StockReservations reservations, CancellationToken cancellationToken)
    {
        if (!InputRules.IsId(orderId)) return InvalidOrderId();
        // A tombstone made here belongs to the orchestrated flow; an existing reservation keeps its own.
        var reservation = await reservations.ReleaseSettledAsync(orderId, SagaFlow.Orchestration, cancellationToken);
        return TypedResults.Ok(ViewOf(reservation));
    }

    // Idempotent: only a Reserved reservation is committed (then its holds are sold), and moving a
    // product's hold to sold is a no-op once done, so a repeat finds it Committed.
    private static async Task<Results<Ok<ReservationView>, ProblemHttpResult, ValidationProblem>> CommitAsync(
        string orderId, StockReservations reservations, CancellationToken cancellationToken)
    {
        if (!InputRules.IsId(orderId)) return InvalidOrderId();
        var reservation = await reservations.CommitAsync(orderId, cancellationToken);
        if (reservation is { Phase: ReservationPhase.Committed }) return TypedResults.Ok(ViewOf(reservation));
        // No reason: not a business refusal the saga could compensate, so the orchestrator retries.
        return TypedResults.Problem(
            title: "Nothing to commit",
            detail: reservation?.Status is { } status ? $"The reservation is {status}." : "The order has no reservation.",
            statusCode: StatusCodes.Status409Conflict);
    }

    private static Dictionary<string, string[]> Validate(string orderId, ReserveStock? body, out ReservationRequest? reserve)
    {
        reserve = null;
        var errors = new Dictionary<string, string[]>();
        if (!InputRules.IsId(orderId)) errors["orderId"] = [InputRules.IdMessage];
        if (body is null)
        {
            errors["body"] = ["a JSON object is required"];
            return errors;
        }
        if (body.Flow is not { } flow || !Enum.IsDefined(flow)) errors["flow"] = ["must be Choreography or Orchestration"];
        if (body.CustomerId is not null && !InputRules.IsId(body.CustomerId)) errors["customerId"] = [InputRules.IdMessage];
        if (body.Amount is { } amount && !InputRules.IsMoney(amount)) errors["amount"] = ["0..1000000 with at most 2 decimals"];
        var items = body.Items ?? [];
        if (items.Count is 0 or > MaxLines) errors["items"] = [$"1..{MaxLines} lines"];
        for (var i = 0; i < items.Count; i++)
        {
            var field = $"items[{i}]";
            if (items[i] is not { } line)
            {
                errors[field] = ["a line {productId, quantity, unitPrice} is required"];
                continue;
            }
            if (!InputRules.IsId(line.ProductId)) errors[$"{field}.productId"] = [InputRules.IdMessage];
            if (line.Quantity is not (>= 1 and <= InputRules.MaxQuantity)) errors[$"{field}.quantity"] = [$"1..{InputRules.MaxQuantity}"];
            if (line.UnitPrice is not { } price || !InputRules.IsMoney(price)) errors[$"{field}.unitPrice"] = ["0..1000000 with at most 2 decimals"];
        }
        if (errors.Count > 0) return errors;

        var lines = items.Select(l => new OrderLine(l!.ProductId!, l.Quantity!.Value, l.UnitPrice!.Value)).ToList();
        // The orchestrator confirms the payment itself, so stock-reserved never asks for auto-confirmation.
        reserve = new ReservationRequest(orderId, body.Flow!.Value, body.CustomerId ?? "", lines,
            body.Amount ?? lines.Sum(l => l.Quantity * l.UnitPrice), AutoConfirmPayment: false);
        return errors;
    }

    private static ProblemHttpResult Refused(Reservation reservation)
    {
        var reason = reservation.Reason ?? CancellationReason.OutOfStock;
        return TypedResults.Problem(
            title: "Stock cannot be reserved",
            detail: $"The reservation was rejected: {reason}.",
            statusCode: StatusCodes.Status409Conflict,
            extensions: new Dictionary<string, object?> { ["reason"] = reason.ToString() });
    }

    /// <summary>The commands answer only once the reservation rests, and a resting one always has a status.</summary>
    private static ReservationView ViewOf(Reservation reservation) =>
        ReservationView.Of(reservation) ?? throw new InvalidOperationException($"reservation {reservation.OrderId} is still {reservation.Phase}");

    private static ValidationProblem InvalidOrderId() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["orderId"] = [InputRules.IdMessage] });
}
