using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;

namespace DaprSaga.InventoryService;

public static class Extensions
{
    public static WebApplicationBuilder AddInventory(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ProductCatalogue>();
        builder.Services.AddSingleton<StockReservations>();
        builder.Services.AddSingleton<DemoCatalogueSeeder>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DemoCatalogueSeeder>());
        return builder;
    }
}
