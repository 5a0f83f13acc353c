using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.DeliveryService.Deliveries;

public static class DeliveryApi
{
    public static RouteGroupBuilder MapDeliveryApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/deliveries").WithTags("Deliveries");
        group.MapGet("/{orderId}", GetAsync);
        group.MapPost("/{orderId}/delivered", ReportDeliveredAsync);
        // The cron binding: resume unfinished steps, then send what a crash left in the outbox.
        endpoints.MapCronBinding(Components.OutboxSweep, SweepAsync);
        return group;
    }

    private static async Task<Results<Ok<DeliveryView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, DeliveryDispatcher dispatcher, CancellationToken cancellationToken)
    {
        if (!InputRules.IsId(orderId)) return InvalidOrderId();
        // A delivery still looking for its courier is not shown yet.
        return DeliveryView.Of(await dispatcher.FindAsync(orderId, cancellationToken)) is { } view
            ? TypedResults.Ok(view)
            : TypedResults.NotFound();
    }

    /// <summary>Scheduled → Delivered, freeing the courier's slot; a repeat answers the same.</summary>
    private static async Task<Results<Ok<DeliveryView>, NotFound, ProblemHttpResult, ValidationProblem>> ReportDeliveredAsync(
        string orderId, DeliveryDispatcher dispatcher, CancellationToken cancellationToken)
    {
        if (!InputRules.IsId(orderId)) return InvalidOrderId();
        var delivery = await dispatcher.ReportDeliveredAsync(orderId, cancellationToken);
        if (delivery is null) return TypedResults.NotFound();
        if (delivery.Phase == DeliveryPhase.Delivered) return TypedResults.Ok(DeliveryView.Of(delivery)!);
        return TypedResults.Problem(
            detail: delivery.Phase == DeliveryPhase.Assigning
                ? "The delivery has no courier yet."
                : $"The delivery is {delivery.Status}.",
            statusCode: StatusCodes.Status409Conflict,
            extensions: delivery.Reason is { } reason ? new Dictionary<string, object?> { ["reason"] = reason.ToString() } : null);
    }

    private static async Task<Ok> SweepAsync(DeliveryDispatcher dispatcher, Outbox outbox, CancellationToken cancellationToken)
    {
        await dispatcher.ResumeUnfinishedAsync(cancellationToken);
        await outbox.SweepAsync<Delivery>(cancellationToken);
        return TypedResults.Ok();
    }

    private static ValidationProblem InvalidOrderId() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["orderId"] = [InputRules.IdRule] });
}
