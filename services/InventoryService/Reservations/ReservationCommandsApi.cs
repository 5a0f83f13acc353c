using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.InventoryService.Reservations;

/// <summary>order-process-service's participant commands: thin wrappers over the operations of the choreography.</summary>
public static class ReservationCommandsApi
{
    public static RouteGroupBuilder MapReservationCommandsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapParticipantCommands("/reservations");
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

    private static async Task<Results<Ok<ReservationView>, ProblemHttpResult, ValidationProblem>> ReserveAsync(
        string orderId, HttpRequest request, StockReservations reservations, CancellationToken cancellationToken)
    {
        var (body, bodyErrors) = await RequestJson.ReadAsync<ReserveStock>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);
        var errors = Validate(orderId, body, out var reserve);
        if (reserve is null) return TypedResults.ValidationProblem(errors);

        var reservation = await reservations.ReserveAsync(reserve, cancellationToken);
        if (reservation.Phase != ReservationPhase.Rejected) return TypedResults.Ok(ViewOf(reservation));
        var reason = reservation.Reason ?? CancellationReason.OutOfStock;
        return ApiAnswers.Conflict("Stock cannot be reserved", $"The reservation was rejected: {reason}.", reason);
    }

    private static async Task<Results<Ok<ReservationView>, ValidationProblem>> ReleaseAsync(
        string orderId, StockReservations reservations, CancellationToken cancellationToken)
    {
        if (InputErrors.ForId(nameof(orderId), orderId) is { } errors) return TypedResults.ValidationProblem(errors);
        // A tombstone made here belongs to the orchestrated flow; an existing reservation keeps its own.
        var reservation = await reservations.ReleaseSettledAsync(orderId, SagaFlow.Orchestration, cancellationToken);
        return TypedResults.Ok(ViewOf(reservation));
    }

    private static async Task<Results<Ok<ReservationView>, ProblemHttpResult, ValidationProblem>> CommitAsync(
        string orderId, StockReservations reservations, CancellationToken cancellationToken)
    {
        if (InputErrors.ForId(nameof(orderId), orderId) is { } errors) return TypedResults.ValidationProblem(errors);
        var reservation = await reservations.CommitAsync(orderId, cancellationToken);
        if (reservation is { Phase: ReservationPhase.Committed }) return TypedResults.Ok(ViewOf(reservation));
        // No reason: not a refusal the saga could compensate, so the orchestrator retries.
        return ApiAnswers.Conflict("Nothing to commit",
            reservation?.Status is { } status ? $"The reservation is {status}." : "The order has no reservation.");
    }

    private static InputErrors Validate(string orderId, ReserveStock? body, out ReservationRequest? reserve)
    {
        reserve = null;
        var errors = InputErrors.ForId(nameof(orderId), orderId) ?? [];
        if (!errors.Check(body is not null, "body", "must be a JSON object")) return errors;
        errors.CheckName(body!.Flow, "flow");
        errors.Check(body.CustomerId is null || InputRules.IsId(body.CustomerId), "customerId", InputRules.IdMessage);
        errors.Check(body.Amount is null || InputRules.IsAmount(body.Amount), "amount", InputRules.AmountMessage);
        var items = body.Items ?? [];
        errors.Check(items.Count is >= 1 and <= InputRules.MaxOrderLines, "items", $"must have 1 to {InputRules.MaxOrderLines} lines");
        for (var i = 0; i < items.Count; i++)
        {
            var field = $"items[{i}]";
            if (!errors.Check(items[i] is not null, field, "must be a line {productId, quantity, unitPrice}")) continue;
            errors.Check(InputRules.IsId(items[i]!.ProductId), $"{field}.productId", InputRules.IdMessage);
            errors.Check(InputRules.IsQuantity(items[i]!.Quantity), $"{field}.quantity", InputRules.QuantityMessage);
            errors.Check(InputRules.IsMoney(items[i]!.UnitPrice), $"{field}.unitPrice", InputRules.MoneyMessage);
        }
        if (errors.Count > 0) return errors;

        var lines = items.Select(l => new OrderLine(l!.ProductId!, l.Quantity!.Value, l.UnitPrice!.Value)).ToList();
        // The orchestrator confirms the payment itself, so stock-reserved never asks for auto-confirmation.
        reserve = new ReservationRequest(orderId, body.Flow!.Value, body.CustomerId ?? "", lines,
            body.Amount ?? lines.Sum(l => l.Quantity * l.UnitPrice), AutoConfirmPayment: false);
        return errors;
    }

    /// <summary>The commands answer once the reservation rests, and a resting one always has a status.</summary>
    private static ReservationView ViewOf(Reservation reservation) =>
        ReservationView.Of(reservation) ?? throw new InvalidOperationException($"reservation {reservation.OrderId} is still {reservation.Phase}");
}
