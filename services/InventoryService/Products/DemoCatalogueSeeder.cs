namespace DaprSaga.InventoryService.Products;

/// <summary>
/// Puts the demo products (docs/architecture.md, Demo data) in place at start-up when they are absent (never resets
/// stock), retrying until the sidecar answers, since the app may start before its sidecar.
/// </summary>
public sealed class DemoCatalogueSeeder(ProductCatalogue catalogue, TimeProvider time, ILogger<DemoCatalogueSeeder> log) : BackgroundService
{
    public static IReadOnlyList<Product> DemoProducts { get; } =
    [
        Product.Create("widget", "Widget", 10.00m, 1000),
        Product.Create("gadget", "Gadget", 25.00m, 100),
        Product.Create("gizmo", "Gizmo", 99.00m, 3),
        Product.Create("unobtainium", "Unobtainium", 500.00m, 0),
    ];

    private readonly TaskCompletionSource _seeded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once every demo product exists.</summary>
    public Task Seeded => _seeded.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                foreach (var product in DemoProducts) await catalogue.SeedAsync(product, stoppingToken);
                _seeded.TrySetResult();
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Seeding the demo products failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }
}
