using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.State;
using DaprSaga.TestSidecar;
using DaprSaga.TestSidecar.PubSub;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.InventoryService.Tests;

/// <summary>
/// inventory-service in memory beside its test sidecar, plus an order-service sidecar to publish
/// the events inventory consumes, all on one testbed. A new one per test.
/// </summary>
public sealed class InventoryApp : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private InventoryApp(Testbed testbed, Sidecar sidecar, SidecarAppFactory<Reservation> factory, Sidecar orderSidecar)
    {
        (Testbed, Sidecar, Factory) = (testbed, sidecar, factory);
        OrderSidecar = orderSidecar;
        Http = factory.CreateClient();
        Publisher = new DaprClientBuilder()
            .UseGrpcEndpoint(orderSidecar.GrpcEndpoint.ToString())
            .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions)
            .Build();
    }

    public Testbed Testbed { get; }

    public Sidecar Sidecar { get; }

    public Sidecar OrderSidecar { get; }

    public SidecarAppFactory<Reservation> Factory { get; }

    public HttpClient Http { get; }

    /// <summary>Publishes as order-service would.</summary>
    public DaprClient Publisher { get; }

    /// <summary>The app's own client, for putting its store in a state a crash could leave.</summary>
    public DaprClient AppDapr => Factory.Services.GetRequiredService<DaprClient>();

    public static async Task<InventoryApp> StartAsync(FaultPlan? faults = null)
    {
        var testbed = new Testbed(faults);
        var sidecar = await testbed.StartSidecarAsync(new SidecarOptions(AppIds.InventoryService)
        {
            StateStores = [Components.InventoryStore],
            PubSubs = [Components.PubSub],
            Bindings = [Components.OutboxSweep],
        });
        var orderSidecar = await testbed.StartSidecarAsync(new SidecarOptions(AppIds.OrderService) { PubSubs = [Components.PubSub] });
        var factory = await new SidecarAppFactory<Reservation>(sidecar).StartAsync();
        await factory.Services.GetRequiredService<DemoSeeding>().Seeded.WaitAsync(Deadline);
        return new InventoryApp(testbed, sidecar, factory, orderSidecar);
    }

    /// <summary>Publishes as order-service would, retrying what an injected sidecar error refused.</summary>
    public async Task PublishAsync<TEvent>(TEvent e) where TEvent : IIntegrationEvent
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Publisher.PublishEventAsync(Components.PubSub, TEvent.Topic, e,
                    new Dictionary<string, string> { ["cloudevent.type"] = Topics.EventType(TEvent.Topic), ["partitionKey"] = e.OrderId });
                return;
            }
            catch (Dapr.DaprException) when (attempt < 10)
            {
            }
        }
    }

    public Task WaitForIdleAsync() => Testbed.WaitForIdleAsync(Deadline);

    public IReadOnlyList<CloudEvent> Published(string topic) => Testbed.PubSub(Components.PubSub).Published(topic);

    public IReadOnlyList<T> Published<T>() where T : IIntegrationEvent =>
        Published(T.Topic).Select(e => e.Envelope["data"].Deserialize<T>(ServiceDefaultsExtensions.JsonOptions)!).ToList();

    public async Task<ProductView> ProductAsync(string productId) =>
        (await Http.GetFromJsonAsync<ProductView>($"/products/{productId}", ServiceDefaultsExtensions.JsonOptions))!;

    public async Task<List<ProductView>> ProductsAsync() =>
        (await Http.GetFromJsonAsync<List<ProductView>>("/products", ServiceDefaultsExtensions.JsonOptions))!;

    public async Task<ReservationView?> ReservationAsync(string orderId)
    {
        using var response = await Http.GetAsync($"/reservations/{orderId}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<ReservationView>(ServiceDefaultsExtensions.JsonOptions);
    }

    public Task<Reservation?> StoredReservationAsync(string orderId) =>
        AppDapr.GetStateAsync<Reservation?>(Components.InventoryStore, StockReservations.KeyOf(orderId));

    public Task<Product?> StoredProductAsync(string productId) =>
        AppDapr.GetStateAsync<Product?>(Components.InventoryStore, ProductCatalogue.KeyOf(productId));

    /// <summary>Leaves a reservation as a crash in the middle of a phase would (record written, steps not done).</summary>
    public async Task StoreUnfinishedAsync(Reservation reservation)
    {
        await new ShardedIndex(AppDapr, Components.InventoryStore, StockReservations.OpenIndexName).AddAsync(reservation.OrderId);
        await AppDapr.SaveStateAsync(Components.InventoryStore, StockReservations.KeyOf(reservation.OrderId), reservation);
    }

    public Task<System.Net.HttpStatusCode?> SweepAsync() => Sidecar.TriggerBindingAsync(Components.OutboxSweep);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Publisher.Dispose();
        await Factory.DisposeAsync();
        await Testbed.DisposeAsync();
    }
}
