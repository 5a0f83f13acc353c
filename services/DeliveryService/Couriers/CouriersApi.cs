using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.DeliveryService.Couriers;

public static class CouriersApi
{
    /// <summary>PUT /couriers/{courierId} body; optional members here, so a missing one is named in the 400.</summary>
    public sealed record CourierInput(string? Name = null, string? Zone = null, int? Capacity = null);

    public static RouteGroupBuilder MapCouriersApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/couriers").WithTags("Couriers");
        group.MapGet("/", ListAsync);
        group.MapGet("/{courierId}", GetAsync);
        group.MapPut("/{courierId}", PutAsync).Accepts<CourierInput>("application/json");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<CourierView>>> ListAsync(CourierRoster roster, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<CourierView>>([.. (await roster.ListAsync(cancellationToken)).Select(c => CourierView.Of(c)!)]);

    private static Task<Results<Ok<CourierView>, NotFound, ValidationProblem>> GetAsync(
        string courierId, CourierRoster roster, CancellationToken cancellationToken) =>
        ApiAnswers.ByIdAsync(nameof(courierId), courierId, async () => CourierView.Of(await roster.FindAsync(courierId, cancellationToken)));

    private static async Task<Results<Ok<CourierView>, Created<CourierView>, ValidationProblem>> PutAsync(
        string courierId, HttpRequest request, CourierRoster roster, CancellationToken cancellationToken)
    {
        var (read, bodyErrors) = await RequestJson.ReadAsync<CourierInput>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);
        var input = read ?? new CourierInput();
        var errors = InputErrors.ForId(nameof(courierId), courierId) ?? [];
        errors.Check(InputRules.IsName(input.Name), "name", InputRules.NameMessage);
        errors.Check(InputRules.IsZone(input.Zone), "zone", InputRules.ZoneMessage);
        errors.Check(input.Capacity is >= 0 and <= InputRules.MaxCapacity, "capacity", $"must be between 0 and {InputRules.MaxCapacity}");
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var created = false;
        var updated = await roster.ChangeAsync(courierId, existing =>
        {
            created = existing is null;
            return existing is null
                ? Courier.Register(courierId, input.Name!, input.Zone!, input.Capacity!.Value)
                : existing.Describe(input.Name!, input.Zone!, input.Capacity!.Value);
        }, cancellationToken);
        var view = CourierView.Of(updated.Value)!;
        return created ? TypedResults.Created($"/couriers/{courierId}", view) : TypedResults.Ok(view);
    }
}
