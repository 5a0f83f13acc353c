using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.DeliveryService.Deliveries;

/// <summary>order-process-service's participant commands: thin wrappers over the operations of the choreography.</summary>
public static class DeliveryCommandsApi
{
    public static RouteGroupBuilder MapDeliveryCommandsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapParticipantCommands("/deliveries");
        group.MapPost("/{orderId}", ScheduleAsync)
            .Accepts<ScheduleDelivery>("application/json")
            .WithSummary("Assigns a courier (the orchestration's pivot step)")
            .WithDescription(
                "200 with the delivery once Scheduled; 409 `NoCourierAvailable` once Failed (stored: a repeat answers the same). " +
                "A delivery cancelled before it was scheduled (a tombstone) answers 200 with the delivery as it is, Cancelled: " +
                "only the orchestrator's own compensation leaves one, so it is compensating anyway.");
        group.MapPost("/{orderId}/cancel", CancelAsync)
            .Accepts<CancelDelivery>("application/json")
            .WithSummary("Cancels the delivery (the compensation; never refused)")
            .WithDescription(
                "Scheduled or still assigning: frees the courier's slot (Cancelled, `delivery-cancelled` when it was scheduled). " +
                "No delivery yet: a Cancelled tombstone, so a late assignment does nothing. Otherwise 200 with the delivery as it is.");
        return group;
    }

    private static async Task<Results<Ok<DeliveryView>, ProblemHttpResult, ValidationProblem>> ScheduleAsync(
        string orderId, HttpRequest request, DeliveryDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var (body, bodyErrors) = await RequestJson.ReadAsync<ScheduleDelivery>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);
        var errors = InputErrors.ForId(nameof(orderId), orderId) ?? [];
        errors.Check(InputRules.IsZone(body?.Zone), "zone", InputRules.ZoneMessage);
        errors.CheckName(body?.Flow, "flow");
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var delivery = await dispatcher.ScheduleAsync(orderId, body!.Flow!.Value, body.Zone!, cancellationToken);
        if (delivery.Phase != DeliveryPhase.Failed) return TypedResults.Ok(DeliveryView.Of(delivery)!);
        return ApiAnswers.Conflict("No courier available", $"No courier of zone '{delivery.Zone}' has a free slot.",
            delivery.Reason ?? CancellationReason.NoCourierAvailable);
    }

    private static async Task<Results<Ok<DeliveryView>, ValidationProblem>> CancelAsync(
        string orderId, HttpRequest request, DeliveryDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var (body, bodyErrors) = await RequestJson.ReadAsync<CancelDelivery>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);
        var errors = InputErrors.ForId(nameof(orderId), orderId) ?? [];
        errors.CheckName(body?.Reason, "reason", required: false);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        // A tombstone made here belongs to the orchestrated flow; an existing delivery keeps its own.
        var delivery = await dispatcher.CancelAsync(orderId, SagaFlow.Orchestration, body?.Reason, cancellationToken);
        return TypedResults.Ok(DeliveryView.Of(delivery)!);
    }
}
