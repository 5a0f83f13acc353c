using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;
using DaprSaga.OrderService.Orders;
using DaprSaga.PaymentService.Customers;
using DaprSaga.PaymentService.Payments;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// The saga's bookkeeping ends: idempotency markers inside customers are forgotten a retention window after
/// they settled (a product's settled holds and a courier's settled answers sooner: their SettledLife), and an
/// event older than the window is refused instead of acting again.
/// </summary>
public sealed class RetentionTests
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static int Size<T>(T markers) => JsonSerializer.SerializeToUtf8Bytes(markers, ServiceDefaultsExtensions.JsonOptions).Length;

    [Fact]
    public void RetentionKeepsCustomersProductsAndCouriersTheSameSizeAfter2000SagasAsAfter200()
    {
        var product = Product.Create("widget", "Widget", 1m, 500_000);
        var customer = Customer.Open("alice", "Alice", 1_000_000m);
        var courier = Courier.Register("c-north-1", "Courier", "north", capacity: 5);
        var now = Start;
        var sizes = new List<(int Product, int Customer, int Courier)>();
        for (var saga = 1; saga <= 2000; saga++)
        {
            // A saga every 36 s: a window holds a hundred of them.
            now += Window / 100;
            var id = $"o-{saga:D5}";
            product = product.Hold(id, 1).Kept(now, Window).Commit(id).Kept(now, Window);
            customer = (saga % 10 == 0 ? customer.Debit(id, 1m).Refund(id) : customer.Debit(id, 1m)).Kept(now, Window);
            courier = courier.Take(id, "north").Next!.Kept(now, Window).Release(id)!.Kept(now, Window);
            if (saga is 200 or 2000)
                sizes.Add((Size((product.Holds, product.SettledAt)), Size((customer.Ledger, customer.WrittenAt)), Size((courier.Assignments, courier.SettledAt))));
        }

        Assert.Equal(sizes[0], sizes[1]);
        Assert.Equal(100, product.Holds.Count);
        Assert.Equal((100, 100), (customer.Ledger.Count, courier.Assignments.Count));
        Assert.Equal(500_000 - 2000, product.OnHand);
    }

    [Fact]
    public void RetentionNeverForgetsWhatIsStillActiveAStockHoldOrACouriersSlot()
    {
        var product = Product.Create("widget", "Widget", 1m, 10).Hold("o-held", 1).Kept(Start, Window);
        var courier = Courier.Register("c-north-1", "Courier", "north", capacity: 5).Take("o-active", "north").Next!.Kept(Start, Window);

        var later = Start + (Window * 10);
        product = product.Hold("o-next", 1).Kept(later, Window);
        courier = courier.Take("o-next", "north").Next!.Kept(later, Window);

        Assert.Equal(HoldState.Held, product.Holds["o-held"].State);
        Assert.Equal(AssignmentState.Active, courier.AnswerFor("o-active"));
        Assert.Equal(2, courier.ActiveDeliveries);
    }

    [Fact]
    public void OnlyACompensationThatFoundNothingStoresATombstone()
    {
        const SagaFlow flow = SagaFlow.Choreography;
        var order = new NewOrder("alice", [new OrderLine("widget", 1, 10.00m)], "north", AutoConfirmPayment: true);
        var request = new ReservationRequest("o-1", flow, "alice", order.Items, order.Total, AutoConfirmPayment: true);
        var products = new Dictionary<string, Product> { ["widget"] = Product.Create("widget", "Widget", 10.00m, 5) };
        const CancellationReason reason = CancellationReason.CustomerCancelled;

        Assert.True(Order.Tombstone("o-1", reason, Start).IsTombstone);
        Assert.True(Reservation.Cancel(null, "o-1", flow, Start).IsTombstone);
        Assert.True(PaymentRules.Void(null, "o-1", flow, reason, Start).IsTombstone);
        Assert.True(Delivery.Cancel(null, "o-1", flow, reason)!.IsTombstone);

        var placed = Order.Place("o-1", flow, order, Start);
        var reserved = Reservation.Open(null, request, products, Start)!;
        var paid = PaymentRules.Open(null, "o-1", flow, "alice", 10.00m, customerKnown: true, Start, TimeSpan.FromMinutes(5));
        var delivery = Delivery.Request(null, "o-1", flow, "north")!;
        Assert.False(placed.IsTombstone || reserved.IsTombstone || paid.IsTombstone || delivery.IsTombstone);
        // Compensated, they are still the business records they were.
        Assert.False(placed.CancelFromOutside(OrderTrigger.CustomerCancel, Start)!.IsTombstone);
        Assert.False(Reservation.Cancel(reserved.AllHeld(Start), "o-1", flow, Start).IsTombstone);
        Assert.False(PaymentRules.Void(paid, "o-1", flow, reason, Start).IsTombstone);
        Assert.False(Delivery.Cancel(delivery, "o-1", flow, reason)!.IsTombstone);
    }

    // The apps' window and daprd's workflow retention alike, as components/config.yaml keeps them.
    private static async Task<SagaCluster> ClusterAsync() =>
        await SagaCluster.StartAsync(
            configureServices: s => s.PostConfigure<RetentionOptions>(o => o.Window = Window),
            sidecarOptions: o => o with { WorkflowStateRetention = new(AnyTerminal: Window) });

    private static string? Stored(SagaCluster cluster, string store, string key) =>
        cluster.Testbed.StateStore(store).Snapshot().Where(e => e.Key.EndsWith("||" + key, StringComparison.Ordinal))
            .Select(e => System.Text.Encoding.UTF8.GetString(e.Value)).SingleOrDefault();

    [Fact]
    public async Task RetentionForgetsTheMarkersOfSagasAWindowOldAtTheRecordsNextWrite()
    {
        await using var cluster = await ClusterAsync();
        var first = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            first.Add(await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m)));
            await cluster.QuiesceAsync();
            // Delivered, the courier's slot is settled too.
            using var delivered = await cluster.Delivery.Http.PostAsync(new Uri($"/deliveries/{first[^1]}/delivered", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        }
        Assert.All(first, id => Assert.Contains(id, Stored(cluster, Components.PaymentStore, "customer-alice")!, StringComparison.Ordinal));

        await cluster.AdvanceAsync(Window);
        var next = await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await cluster.QuiesceAsync();

        var customer = Stored(cluster, Components.PaymentStore, "customer-alice")!;
        var product = Stored(cluster, Components.InventoryStore, "product-widget")!;
        var courier = new[] { "c-north-1", "c-north-2" }.Select(c => Stored(cluster, Components.DeliveryStore, $"courier-{c}")!)
            .Single(c => c.Contains(next, StringComparison.Ordinal));
        Assert.All([customer, product, courier], record =>
        {
            Assert.Contains(next, record, StringComparison.Ordinal);
            Assert.All(first, id => Assert.DoesNotContain(id, record, StringComparison.Ordinal));
        });
        await Expect.CompletedAsync(cluster, next, customer: "alice", credit: 9960.00m, product: "widget", onHand: 996, sold: 4, amount: 10.00m);
    }

    [Theory]
    [InlineData(SagaEngine.Runner)]
    [InlineData(SagaEngine.Workflow)]
    public async Task RetentionRemovesAFinishedOrchestrationAWindowAfterItEndsAndKeepsItsOrder(SagaEngine engine)
    {
        await using var cluster = await ClusterAsync();
        var id = await cluster.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await cluster.SettleProcessAsync(id);

        await cluster.AdvanceAsync(Window - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await SagaCluster.StatusOfAsync(cluster.Process, $"/order-processes/{id}"));
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(2));

        Assert.Equal(HttpStatusCode.NotFound, await SagaCluster.StatusOfAsync(cluster.Process, $"/order-processes/{id}"));
        Assert.DoesNotContain(id, (await cluster.Process.Http.GetStringAsync(new Uri("/order-processes", UriKind.Relative))), StringComparison.Ordinal);
        Assert.Equal("Completed", (string?)(await cluster.OrderAsync(id))["status"]);
        if (engine == SagaEngine.Workflow)
            Assert.DoesNotContain(id, cluster.Testbed.Workflows(AppIds.OrderProcessService).InstanceIds);
    }

    [Fact]
    public async Task RetentionRemovesTombstonesTwoWindowsAfterTheyWereStoredAndKeepsTheBusinessRecords()
    {
        await using var cluster = await ClusterAsync();
        // Out of stock: payment and delivery hear order-cancelled with nothing of theirs yet, so each stores a tombstone.
        var id = await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("unobtainium", 1, 500.00m));
        await cluster.QuiesceAsync();
        string?[] Tombstones() => [Stored(cluster, Components.PaymentStore, $"payment-{id}"), Stored(cluster, Components.DeliveryStore, $"delivery-{id}")];
        Assert.All(Tombstones(), Assert.NotNull);

        await cluster.AdvanceAsync((2 * Window) - TimeSpan.FromSeconds(1));
        Assert.All(Tombstones(), Assert.NotNull);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(2));

        Assert.All(Tombstones(), Assert.Null);
        Assert.Equal("Cancelled", (string?)(await cluster.OrderAsync(id))["status"]);
        Assert.Contains("Rejected", Stored(cluster, Components.InventoryStore, $"reservation-{id}")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetentionFreesAnIdempotencyKeyAWindowAfterItsFirstUse()
    {
        await using var cluster = await ClusterAsync();
        async Task<string> PlaceAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/order-processes", UriKind.Relative))
            {
                Content = JsonContent.Create(new { customerId = "alice", deliveryZone = "north", items = new[] { new { productId = "widget", quantity = 1, unitPrice = 10.00m } } }),
            };
            request.Headers.Add("Idempotency-Key", "retried-a-week-later");
            using var response = await cluster.Process.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["orderId"]!;
        }

        var first = await PlaceAsync();
        Assert.Equal(first, await PlaceAsync());
        await cluster.SettleProcessAsync(first);
        await cluster.AdvanceAsync(Window + TimeSpan.FromSeconds(1));

        Assert.NotEqual(first, await PlaceAsync());
    }

    [Fact]
    public async Task RetentionRefusesAnEventOlderThanTheWindowWithNoEffect()
    {
        await using var cluster = await ClusterAsync();
        using var inventory = cluster.Inventory.Sidecar.NewDaprClient();
        var stale = new
        {
            orderId = "o-stale",
            flow = "Choreography",
            customerId = "alice",
            amount = 10.00m,
            autoConfirmPayment = true,
            occurredAt = cluster.Clock.GetUtcNow() - Window - TimeSpan.FromMinutes(1),
        };

        await inventory.PublishEventAsync(Components.PubSub, Topics.StockReserved, stale);
        await cluster.QuiesceAsync();

        Assert.Equal(HttpStatusCode.NotFound, await SagaCluster.StatusOfAsync(cluster.Payment, "/payments/o-stale"));
        Assert.Equal(10000.00m, (decimal)(await cluster.CustomerAsync("alice"))["credit"]!);
        Assert.Empty(cluster.Testbed.PubSub(Components.PubSub).Published(Topics.PaymentRequested));
    }
}
