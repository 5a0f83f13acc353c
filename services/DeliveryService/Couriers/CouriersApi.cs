using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.DeliveryService.Couriers;

public static class CourierApi
{
    /// <summary>Every field optional here, so a missing one is a 400 naming it, not a parse failure.</summary>
    public sealed record CourierInput(string? Name = null, string? Zone = null, int? Capacity = null);

    public static RouteGroupBuilder MapCourierApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/couriers").WithTags("Couriers");
        group.MapGet("/", ListAsync);
        group.MapGet("/{courierId}", GetAsync);
        group.MapPut("/{courierId}", PutAsync).Accepts<CourierInput>("application/json");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<CourierView>>> ListAsync(CourierRoster roster, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<CourierView>>([.. (await roster.ListAsync(cancellationToken)).Select(CourierView.Of)]);

    private static async Task<Results<Ok<CourierView>, NotFound, ValidationProblem>> GetAsync(
        string courierId, CourierRoster roster, CancellationToken cancellationToken)
    {
        if (!InputRules.IsId(courierId)) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["courierId"] = [InputRules.IdRule] });
        return await roster.FindAsync(courierId, cancellationToken) is { } courier ? TypedResults.Ok(CourierView.Of(courier)) : TypedResults.NotFound();
    }

    /// <summary>Creates or updates a courier; its assignments (and so its active deliveries) stay.</summary>
    private static async Task<Results<Ok<CourierView>, Created<CourierView>, ValidationProblem>> PutAsync(
        string courierId, HttpRequest request, CourierRoster roster, CancellationToken cancellationToken)
    {
        // Read, not bound: a wrongly typed field is then a 400 naming it.
        var (read, parseErrors) = await RequestJson.ReadAsync<CourierInput>(request, cancellationToken);
        if (parseErrors is not null) return TypedResults.ValidationProblem(parseErrors);
        var input = read ?? new CourierInput();
        var errors = new Dictionary<string, string[]>();
        if (!InputRules.IsId(courierId)) errors["courierId"] = [InputRules.IdRule];
        if (!InputRules.IsName(input.Name)) errors["name"] = ["1 to 100 characters."];
        if (!InputRules.IsZone(input.Zone)) errors["zone"] = ["1 to 32 characters."];
        if (input.Capacity is not (>= 0 and <= InputRules.MaxCapacity)) errors["capacity"] = [$"0 to {InputRules.MaxCapacity}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var created = false;
        var updated = await roster.ChangeAsync(courierId, existing =>
        {
            created = existing is null;
            return existing is null
                ? Courier.Register(courierId, input.Name!, input.Zone!, input.Capacity!.Value)
                : existing.Describe(input.Name!, input.Zone!, input.Capacity!.Value);
        }, cancellationToken);
        var view = CourierView.Of(updated.Value!);
        return created ? TypedResults.Created($"/couriers/{courierId}", view) : TypedResults.Ok(view);
    }
}
