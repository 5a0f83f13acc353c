using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.DeliveryService.Tests;

/// <summary>delivery-service on the shared <see cref="ServiceHost{TEntryPoint}"/>, ready once its demo couriers are seeded.</summary>
public sealed class DeliveryHost : ServiceHost<Delivery>
{
    private DeliveryHost(FaultPlan? faults)
        : base(AppIds.DeliveryService, new ServiceHostOptions { Faults = faults })
    {
    }

    /// <summary>Calls the app as order-process-service's sidecar would: its participant commands serve only that caller.</summary>
    public HttpClient AsOrchestrator { get; private set; } = null!;

    /// <param name="faults">Faults to inject once set in the plan (none by default).</param>
    public static Task<DeliveryHost> StartAsync(FaultPlan? faults = null) => LaunchAsync(new DeliveryHost(faults));

    protected override async Task ReadyAsync()
    {
        await Services.GetRequiredService<DemoSeeding>().Seeded;
        AsOrchestrator?.Dispose();
        AsOrchestrator = Factory.CreateClient();
        AsOrchestrator.DefaultRequestHeaders.Add(ParticipantCommands.CallerHeader, AppIds.OrderProcessService);
    }

    public Task ConfirmAsync(string orderId, string zone, SagaFlow flow = SagaFlow.Choreography) =>
        SendAsync(new OrderConfirmed(orderId, flow, zone, DateTimeOffset.UtcNow));

    public Task CancelAsync(string orderId, CancellationReason reason = CancellationReason.CustomerCancelled) =>
        SendAsync(new OrderCancelled(orderId, SagaFlow.Choreography, reason, DateTimeOffset.UtcNow));

    /// <summary>Confirms the order, then cancels it, letting each settle before the next.</summary>
    public async Task ConfirmThenCancelAsync(string orderId, string zone, CancellationReason reason = CancellationReason.CustomerCancelled)
    {
        await ConfirmAsync(orderId, zone);
        await IdleAsync();
        await CancelAsync(orderId, reason);
        await IdleAsync();
    }

    /// <summary>
    /// The data of every distinct event published on a topic. The outbox may send one event more
    /// than once (racing senders, the sweep) under the same CloudEvent id, which consumers
    /// recognise; a second effect would be a second id.
    /// </summary>
    public IReadOnlyList<JsonObject> PublishedData(string topic) =>
        Published(topic).DistinctBy(e => e.Id).Select(e => e.Envelope["data"]!.AsObject()).ToList();

    public IReadOnlyList<JsonObject> PublishedFor(string topic, string orderId) =>
        PublishedData(topic).Where(d => (string?)d["orderId"] == orderId).ToList();

    /// <summary>c-east-1 (capacity one) holds no slot any more, so the next order for east, o-2, is scheduled on it.</summary>
    public async Task AssertEastSlotServesTheNextOrderAsync()
    {
        Assert.Equal(0, (await CourierAsync("c-east-1")).ActiveDeliveries);

        await ConfirmAsync("o-2", "east");
        await IdleAsync();
        Assert.Equal(DeliveryStatus.Scheduled, (await DeliveryAsync("o-2"))?.Status);
    }

    public async Task<CourierView> CourierAsync(string courierId) => (await GetAsync<CourierView>($"/couriers/{courierId}"))!;

    public Task<DeliveryView?> DeliveryAsync(string orderId) => GetAsync<DeliveryView>($"/deliveries/{orderId}");

    /// <summary>Every courier as stored, assignments included.</summary>
    public IReadOnlyList<Courier> StoredCouriers() => Stored<Courier>(CourierRoster.KeyOf(""));

    /// <summary>The invariants: at most one active slot per order, never more active than capacity allows.</summary>
    public void AssertCourierInvariants()
    {
        var couriers = StoredCouriers();
        var activeOrders = couriers.SelectMany(c => c.Assignments.Where(a => a.Value == AssignmentState.Active).Select(a => a.Key)).ToList();
        Assert.Equal(activeOrders.Distinct().Count(), activeOrders.Count);
        Assert.All(couriers, c => Assert.True(c.ActiveDeliveries <= c.Capacity, $"{c.CourierId}: {c.ActiveDeliveries} active, capacity {c.Capacity}"));
    }

    /// <summary>Every delivery as stored, tombstones and steps under way included.</summary>
    public IReadOnlyList<Delivery> StoredDeliveries() => Stored<Delivery>(DeliveryDispatcher.KeyOf(""));

    private List<T> Stored<T>(string keyPrefix) =>
        Testbed.StateStore(Components.DeliveryStore).Snapshot($"{AppIds.DeliveryService}||{keyPrefix}")
            .Values.Select(v => JsonSerializer.Deserialize<T>(v, ServiceDefaultsExtensions.JsonOptions)!).ToList();
}
