using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.DeliveryService.Deliveries;

/// <summary>
/// The participant commands order-process-service calls through Dapr service invocation: thin
/// wrappers over the dispatcher's operations, the same ones the choreography reactions use.
/// </summary>
public static class DeliveryCommands
{
    /// <summary>Every field optional here, so a missing one is a 400 naming it, not a parse failure.</summary>
    public sealed record ScheduleInput(string? Zone = null, string? Flow = null);

    /// <param name="Reason">Optional: the cancellation reason to record on the delivery.</param>
    public sealed record CancelInput(string? Reason = null);

    public static RouteGroupBuilder MapDeliveryCommands(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/deliveries")
            .WithTags("Participant commands")
            .OnlyFromCaller(AppIds.OrderProcessService);
        group.MapPost("/{orderId}", ScheduleAsync)
            .WithSummary("Assigns a courier (the orchestration's pivot step)")
            .WithDescription(
                "200 with the delivery once Scheduled; 409 `NoCourierAvailable` once Failed (stored: a repeat answers the same). " +
                "A delivery cancelled before it was scheduled (a tombstone) answers 200 with the delivery as it is, Cancelled: " +
                "only the orchestrator's own compensation leaves one, so it is compensating anyway.");
        group.MapPost("/{orderId}/cancel", CancelAsync)
            .WithSummary("Cancels the delivery (the compensation; never refused)")
            .WithDescription(
                "Scheduled or still assigning: frees the courier's slot (Cancelled, `delivery-cancelled` when it was scheduled). " +
                "No delivery yet: a Cancelled tombstone, so a late assignment does nothing. Otherwise 200 with the delivery as it is.");
        return group;
    }

    // Idempotent: the delivery is created once per order (first-write); a repeat carries on an
    // unfinished assignment or answers the stored outcome, and each courier answers an order once.
    private static async Task<Results<Ok<DeliveryView>, ProblemHttpResult, ValidationProblem>> ScheduleAsync(
        string orderId, ScheduleInput? input, DeliveryDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!InputRules.IsId(orderId)) errors["orderId"] = [InputRules.IdRule];
        if (!InputRules.IsZone(input?.Zone)) errors["zone"] = ["1 to 32 characters."];
        if (!InputRules.TryParseName<SagaFlow>(input?.Flow, out var flow)) errors["flow"] = [$"One of {string.Join(", ", Enum.GetNames<SagaFlow>())}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var delivery = await dispatcher.ScheduleAsync(orderId, flow, input!.Zone!, cancellationToken);
        if (delivery.Phase != DeliveryPhase.Failed) return TypedResults.Ok(DeliveryView.Of(delivery)!);
        var reason = delivery.Reason ?? CancellationReason.NoCourierAvailable;
        return TypedResults.Problem(
            title: "No courier available",
            detail: $"No courier of zone '{delivery.Zone}' has a free slot.",
            statusCode: StatusCodes.Status409Conflict,
            extensions: new Dictionary<string, object?> { ["reason"] = reason.ToString() });
    }

    // Idempotent: cancelling is recorded once on the delivery (or as a tombstone when it comes
    // first), and a courier frees an order's slot only while it is active.
    private static async Task<Results<Ok<DeliveryView>, ValidationProblem>> CancelAsync(
        string orderId, CancelInput? input, DeliveryDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!InputRules.IsId(orderId)) errors["orderId"] = [InputRules.IdRule];
        CancellationReason? reason = null;
        if (input?.Reason is { } given)
        {
            if (InputRules.TryParseName<CancellationReason>(given, out var parsed)) reason = parsed;
            else errors["reason"] = [$"One of {string.Join(", ", Enum.GetNames<CancellationReason>())}."];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        // A tombstone made here belongs to the orchestrated flow; an existing delivery keeps its own.
        var delivery = await dispatcher.CancelAsync(orderId, SagaFlow.Orchestration, reason, cancellationToken);
        return TypedResults.Ok(DeliveryView.Of(delivery)!);
    }
}
