using DaprSaga.OrderService.Orders;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.OrderService.Timeline;

/// <summary>GET /orders/{id}/timeline: the saga's steps across all services, for both flows.</summary>
public static class TimelineApi
{
    public static IEndpointRouteBuilder MapTimelineApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/orders/{orderId}/timeline", GetAsync).WithTags("Orders");
        return endpoints;
    }

    private static async Task<Results<Ok<SagaTimeline>, NotFound, ValidationProblem>> GetAsync(
        string orderId, OrderBook orders, CancellationToken cancellationToken)
    {
        if (!OrderInput.IsId(orderId)) return OrdersApi.InvalidOrderId();
        return await orders.GetAsync(orderId, cancellationToken) is { } order
            ? TypedResults.Ok(SagaTimeline.Of(order))
            : TypedResults.NotFound();
    }
}
