using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.InventoryService.Reservations;

public sealed record ReservationView(string OrderId, ReservationStatus Status, IReadOnlyList<OrderLine> Items, CancellationReason? Reason)
{
    public static ReservationView? Of(Reservation? r) => r?.Status is { } status ? new(r.OrderId, status, r.Items, r.Reason) : null;
}

public static class ReservationsApi
{
    public static RouteGroupBuilder MapReservationsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/reservations").WithTags("Reservations");
        group.MapGet("/{orderId}", GetAsync);
        return group;
    }

    /// <summary>A reservation still taking its holds has no status yet: 404 until it has one.</summary>
    private static Task<Results<Ok<ReservationView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, StockReservations reservations, CancellationToken cancellationToken) =>
        ApiAnswers.ByIdAsync(nameof(orderId), orderId, async () => ReservationView.Of(await reservations.GetAsync(orderId, cancellationToken)));
}
