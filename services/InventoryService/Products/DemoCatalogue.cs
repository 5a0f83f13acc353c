namespace DaprSaga.InventoryService.Products;

public sealed class DemoCatalogue(ProductCatalogue catalogue) : IDemoData
{
    public static IReadOnlyList<Product> All { get; } =
    [
        Product.Create("widget", "Widget", 10.00m, 1000),
        Product.Create("gadget", "Gadget", 25.00m, 100),
        Product.Create("gizmo", "Gizmo", 99.00m, 3),
        Product.Create("unobtainium", "Unobtainium", 500.00m, 0),
    ];

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        foreach (var product in All) await catalogue.SeedAsync(product, cancellationToken);
    }
}
