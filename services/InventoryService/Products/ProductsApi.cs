using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.InventoryService.Products;

/// <summary>The product resource; received is shown so anyone can check onHand + reserved + sold = received.</summary>
public sealed record ProductView(string ProductId, string Name, decimal Price, int OnHand, int Reserved, int Sold, int Received)
{
    public static ProductView Of(Product p) => new(p.ProductId, p.Name, p.Price, p.OnHand, p.Reserved, p.Sold, p.Received);
}

/// <summary>PUT body. Optional properties, so a missing field is reported by name instead of failing the whole body.</summary>
public sealed record ProductChange
{
    public string? Name { get; init; }
    public decimal? Price { get; init; }
    public int? OnHand { get; init; }
}

public static class ProductsApi
{
    public static RouteGroupBuilder MapProductsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/products").WithTags("Products");
        group.MapGet("/", ListAsync);
        group.MapGet("/{productId}", GetAsync);
        group.MapPut("/{productId}", PutAsync).Accepts<ProductChange>("application/json");
        return group;
    }

    private static async Task<Ok<List<ProductView>>> ListAsync(ProductCatalogue catalogue, CancellationToken cancellationToken) =>
        TypedResults.Ok((await catalogue.ListAsync(cancellationToken)).Select(ProductView.Of).ToList());

    private static async Task<Results<Ok<ProductView>, NotFound, ValidationProblem>> GetAsync(
        string productId, ProductCatalogue catalogue, CancellationToken cancellationToken)
    {
        if (!InputRules.IsId(productId)) return TypedResults.ValidationProblem(Problem("productId", IdRule));
        return await catalogue.GetAsync(productId, cancellationToken) is { } product
            ? TypedResults.Ok(ProductView.Of(product))
            : TypedResults.NotFound();
    }

    /// <summary>Creates or updates a product; reserved and sold stay, received moves with onHand.</summary>
    private static async Task<Results<Created<ProductView>, Ok<ProductView>, ValidationProblem>> PutAsync(
        string productId, HttpRequest request, ProductCatalogue catalogue, CancellationToken cancellationToken)
    {
        // Read, not bound: a wrongly typed field is then a 400 naming it.
        var (read, parseErrors) = await RequestJson.ReadAsync<ProductChange>(request, cancellationToken);
        if (parseErrors is not null) return TypedResults.ValidationProblem(parseErrors);
        var change = read ?? new ProductChange();
        var errors = new Dictionary<string, string[]>();
        if (!InputRules.IsId(productId)) errors["productId"] = [IdRule];
        if (!InputRules.IsName(change.Name)) errors["name"] = ["is required, 1..100 characters"];
        if (change.Price is not { } price || !InputRules.IsMoney(price)) errors["price"] = ["is required, 0..1000000 with at most 2 decimals"];
        if (change.OnHand is not (>= 0 and <= InputRules.MaxStock)) errors["onHand"] = [$"is required, 0..{InputRules.MaxStock}"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var existed = await catalogue.GetAsync(productId, cancellationToken) is not null;
        var updated = await catalogue.PutAsync(productId, change.Name!, change.Price!.Value, change.OnHand!.Value, cancellationToken);
        var view = ProductView.Of(updated.Value!);
        return existed ? TypedResults.Ok(view) : TypedResults.Created($"/products/{productId}", view);
    }

    private const string IdRule = "must be 1..64 characters of A-Z, a-z, 0-9, - or _";

    private static Dictionary<string, string[]> Problem(string field, string message) => new() { [field] = [message] };
}
