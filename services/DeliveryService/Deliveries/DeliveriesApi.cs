using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.DeliveryService.Deliveries;

public static class DeliveriesApi
{
    public static RouteGroupBuilder MapDeliveriesApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/deliveries").WithTags("Deliveries");
        group.MapGet("/{orderId}", GetAsync);
        group.MapPost("/{orderId}/delivered", ReportDeliveredAsync);
        return group;
    }

    /// <summary>A delivery still looking for its courier is not shown yet.</summary>
    private static Task<Results<Ok<DeliveryView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, DeliveryDispatcher dispatcher, CancellationToken cancellationToken) =>
        ApiAnswers.ByIdAsync(nameof(orderId), orderId, async () => DeliveryView.Of(await dispatcher.FindAsync(orderId, cancellationToken)));

    /// <summary>Scheduled → Delivered, freeing the courier's slot; a repeat answers the same.</summary>
    private static async Task<Results<Ok<DeliveryView>, NotFound, ProblemHttpResult, ValidationProblem>> ReportDeliveredAsync(
        string orderId, DeliveryDispatcher dispatcher, CancellationToken cancellationToken)
    {
        if (InputErrors.ForId(nameof(orderId), orderId) is { } errors) return TypedResults.ValidationProblem(errors);
        var delivery = await dispatcher.ReportDeliveredAsync(orderId, cancellationToken);
        if (delivery is null) return TypedResults.NotFound();
        if (delivery.Phase == DeliveryPhase.Delivered) return TypedResults.Ok(DeliveryView.Of(delivery)!);
        return ApiAnswers.Conflict(null,
            delivery.Phase == DeliveryPhase.Assigning ? "The delivery has no courier yet." : $"The delivery is {delivery.Status}.",
            delivery.Reason);
    }
}
