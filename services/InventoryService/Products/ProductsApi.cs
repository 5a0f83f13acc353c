using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.InventoryService.Products;

/// <summary>The product on the wire; received is shown so anyone can check onHand + reserved + sold = received.</summary>
public sealed record ProductView(string ProductId, string Name, decimal Price, int OnHand, int Reserved, int Sold, int Received)
{
    public static ProductView? Of(Product? p) => p is null ? null : new(p.ProductId, p.Name, p.Price, p.OnHand, p.Reserved, p.Sold, p.Received);
}

/// <summary>PUT /products/{productId} body; optional members here, so a missing one is named in the 400.</summary>
public sealed record ProductChange(string? Name = null, decimal? Price = null, int? OnHand = null);

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
        TypedResults.Ok((await catalogue.ListAsync(cancellationToken)).Select(p => ProductView.Of(p)!).ToList());

    private static Task<Results<Ok<ProductView>, NotFound, ValidationProblem>> GetAsync(
        string productId, ProductCatalogue catalogue, CancellationToken cancellationToken) =>
        ApiAnswers.ByIdAsync(nameof(productId), productId, async () => ProductView.Of(await catalogue.GetAsync(productId, cancellationToken)));

    /// <summary>Creates or updates a product; reserved and sold stay, received moves with onHand.</summary>
    private static async Task<Results<Created<ProductView>, Ok<ProductView>, ValidationProblem>> PutAsync(
        string productId, HttpRequest request, ProductCatalogue catalogue, CancellationToken cancellationToken)
    {
        var (read, bodyErrors) = await RequestJson.ReadAsync<ProductChange>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);
        var change = read ?? new ProductChange();
        var errors = InputErrors.ForId(nameof(productId), productId) ?? [];
        errors.Check(InputRules.IsName(change.Name), "name", InputRules.NameMessage);
        errors.Check(InputRules.IsMoney(change.Price), "price", InputRules.MoneyMessage);
        errors.Check(change.OnHand is >= 0 and <= InputRules.MaxStock, "onHand", $"must be between 0 and {InputRules.MaxStock}");
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var existed = await catalogue.GetAsync(productId, cancellationToken) is not null;
        var updated = await catalogue.PutAsync(productId, change.Name!, change.Price!.Value, change.OnHand!.Value, cancellationToken);
        var view = ProductView.Of(updated.Value)!;
        return existed ? TypedResults.Ok(view) : TypedResults.Created($"/products/{productId}", view);
    }
}
