using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.InventoryService.Reservations;

/// <summary>The reservation resource as clients see it.</summary>
public sealed record ReservationView(string OrderId, ReservationStatus Status, IReadOnlyList<OrderLine> Items, CancellationReason? Reason)
{
    public static ReservationView? Of(Reservation reservation) =>
        reservation.Status is { } status ? new(reservation.OrderId, status, reservation.Items, reservation.Reason) : null;
}

public static class ReservationsApi
{
    public static RouteGroupBuilder MapReservationsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/reservations").WithTags("Reservations");
        group.MapGet("/{orderId}", GetAsync);

        // The outbox-sweep cron binding: resend what a crash left unsent, finish what it left half done.
        endpoints.MapCronBinding(Components.OutboxSweep, async (Outbox outbox, StockReservations reservations, CancellationToken cancellationToken) =>
        {
            await outbox.SweepAsync<Reservation>(cancellationToken);
            await reservations.ResumeUnfinishedAsync(cancellationToken);
            return TypedResults.Ok();
        });
        return group;
    }

    private static async Task<Results<Ok<ReservationView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, StockReservations reservations, CancellationToken cancellationToken)
    {
        if (!InputRules.IsId(orderId))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["orderId"] = [InputRules.IdMessage] });
        // A reservation still taking its holds has no status yet: not found until it has one.
        var view = await reservations.GetAsync(orderId, cancellationToken) is { } reservation ? ReservationView.Of(reservation) : null;
        return view is null ? TypedResults.NotFound() : TypedResults.Ok(view);
    }
}
