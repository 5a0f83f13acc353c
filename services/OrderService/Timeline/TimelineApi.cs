using DaprSaga.OrderService.Orders;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.OrderService.Timeline;

/// <summary>GET /orders/{id}/timeline: the saga's steps across all services, for both flows.</summary>
public static class TimelineApi
{
    public static RouteGroupBuilder MapTimelineApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/orders").WithTags("Orders");
        group.MapGet("/{orderId}/timeline", GetAsync);
        return group;
    }

    // One call to the orchestrator per view of an orchestrated order, none for a choreographed one.
    private static async Task<Results<Ok<SagaTimeline>, NotFound, ValidationProblem>> GetAsync(
        string orderId, OrderBook orders, OrchestratorSteps orchestrator, CancellationToken cancellationToken)
    {
        if (InputErrors.ForId(nameof(orderId), orderId) is { } errors) return TypedResults.ValidationProblem(errors);
        if (await orders.GetAsync(orderId, cancellationToken) is not { } order) return TypedResults.NotFound();
        var answer = order.Flow == SagaFlow.Orchestration ? await orchestrator.GetAsync(orderId, cancellationToken) : null;
        return TypedResults.Ok(SagaTimeline.Of(order, answer));
    }
}
