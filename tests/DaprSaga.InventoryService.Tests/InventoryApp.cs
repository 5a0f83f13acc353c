using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;
using DaprSaga.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.InventoryService.Tests;

/// <summary>inventory-service on the shared <see cref="ServiceHost{TEntryPoint}"/>, ready once its demo catalogue is seeded.</summary>
public sealed class InventoryApp : ServiceHost<Reservation>
{
    private InventoryApp(FaultPlan? faults)
        : base(AppIds.InventoryService, new ServiceHostOptions { Faults = faults })
    {
    }

    public static Task<InventoryApp> StartAsync(FaultPlan? faults = null) => LaunchAsync(new InventoryApp(faults));

    protected override Task ReadyAsync() => Services.GetRequiredService<DemoSeeding>().Seeded;

    public async Task<ProductView> ProductAsync(string productId) => (await GetAsync<ProductView>($"/products/{productId}"))!;

    public async Task<List<ProductView>> ProductsAsync() => (await GetAsync<List<ProductView>>("/products"))!;

    public Task<ReservationView?> ReservationAsync(string orderId) => GetAsync<ReservationView>($"/reservations/{orderId}");

    public Task<Reservation?> StoredReservationAsync(string orderId) =>
        AppDapr.GetStateAsync<Reservation?>(Components.InventoryStore, StockReservations.KeyOf(orderId));

    public Task<Product?> StoredProductAsync(string productId) =>
        AppDapr.GetStateAsync<Product?>(Components.InventoryStore, ProductCatalogue.KeyOf(productId));

    /// <summary>Leaves a reservation as a crash in the middle of a phase would (listed, record written, steps not done).</summary>
    public Task StoreUnfinishedAsync(Reservation reservation) =>
        Listing.StoreListedAsync(AppDapr, Components.InventoryStore, StockReservations.KeyOf(reservation.OrderId), reservation, Clock);

    public Task<IReadOnlyList<string>> ListedAsync() => Listing.KeysAsync(AppDapr, Components.InventoryStore);

    public Task<System.Net.HttpStatusCode?> SweepAsync() => TriggerAsync(Components.OutboxSweep);
}
