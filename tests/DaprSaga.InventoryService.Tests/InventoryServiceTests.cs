using System.Text;
using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DaprSaga.InventoryService.Tests;

/// <summary>inventory-service behind its test sidecar, driven through pub/sub, its HTTP API and its cron binding.</summary>
public sealed class InventoryServiceTests() : HostedTest<InventoryApp>(() => InventoryApp.StartAsync())
{
    // When the events occurred: the host's start, well inside the retention window.
    private static readonly DateTimeOffset At = ServiceHostOptions.DefaultStart;
    private static OrderPlaced Placed(string orderId, params OrderLine[] items) => new(
        orderId, SagaFlow.Choreography, "alice", items, items.Sum(i => i.Quantity * i.UnitPrice), "north", true, At);

    private static OrderPlaced TwoWidgets(string orderId) => Placed(orderId, new OrderLine("widget", 2, 10.00m));

    private static OrderCancelled Cancelled(string orderId) => new(orderId, SagaFlow.Choreography, CancellationReason.CustomerCancelled, At);

    private static void AssertStockAddsUp(IEnumerable<ProductView> products)
    {
        foreach (var p in products) Assert.Equal(p.Received, p.OnHand + p.Reserved + p.Sold);
    }

    [Fact]
    public void ItSubscribesToWhatTopologySaysWithItsOwnDeadLetterTopic() => ServiceAssert.SubscribesToItsTopology(Host.Sidecar);

    [Fact]
    public async Task TheDemoProductsAreThereAtStart()
    {
        var products = await Host.ProductsAsync();

        Assert.Equal(
            [("gadget", 25.00m, 100), ("gizmo", 99.00m, 3), ("unobtainium", 500.00m, 0), ("widget", 10.00m, 1000)],
            products.Select(p => (p.ProductId, p.Price, p.OnHand)));
        AssertStockAddsUp(products);
    }

    [Fact]
    public async Task OrderPlacedReservesTheStockAndAsksForPayment()
    {
        await Host.SendAsync(Placed("o-1", new OrderLine("widget", 2, 10.00m), new OrderLine("gizmo", 1, 99.00m)));
        await Host.IdleAsync();

        var reservation = await Host.ReservationAsync("o-1");
        Assert.Equal(ReservationStatus.Reserved, reservation!.Status);
        Assert.Equal(2, reservation.Items.Count);
        var widget = await Host.ProductAsync("widget");
        Assert.Equal((998, 2, 0), (widget.OnHand, widget.Reserved, widget.Sold));
        var gizmo = await Host.ProductAsync("gizmo");
        Assert.Equal((2, 1), (gizmo.OnHand, gizmo.Reserved));
        var reserved = Assert.Single(Host.Published<StockReserved>());
        Assert.Equal(("o-1", SagaFlow.Choreography, "alice", 119.00m, true), (reserved.OrderId, reserved.Flow, reserved.CustomerId, reserved.Amount, reserved.AutoConfirmPayment));
        var envelope = Assert.Single(Host.Published(Topics.StockReserved)).Envelope;
        Assert.Equal(Topics.EventType(Topics.StockReserved), (string?)envelope["type"]);
        Assert.Equal(AppIds.InventoryService, (string?)envelope["source"]);
    }

    public static TheoryData<string, OrderLine, CancellationReason> Refusals => new()
    {
        { "unknown", new("nope", 1, 1.00m), CancellationReason.UnknownProduct },
        { "price", new("widget", 2, 9.00m), CancellationReason.PriceChanged },
        { "stock", new("unobtainium", 1, 500.00m), CancellationReason.OutOfStock },
        { "gizmos", new("gizmo", 4, 99.00m), CancellationReason.OutOfStock },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ARefusedOrderIsRejectedWithItsReasonAndNothingIsHeld(string orderId, OrderLine line, CancellationReason reason)
    {
        var before = await Host.ProductsAsync();

        await Host.SendAsync(Placed(orderId, line, new OrderLine("gadget", 1, 25.00m)));
        await Host.IdleAsync();

        var reservation = await Host.ReservationAsync(orderId);
        Assert.Equal((ReservationStatus.Rejected, reason), (reservation!.Status, reservation.Reason));
        Assert.Equal(reason, Assert.Single(Host.Published<StockReservationFailed>()).Reason);
        Assert.Empty(Host.Published(Topics.StockReserved));
        Assert.Equal(before, await Host.ProductsAsync());
    }

    [Fact]
    public async Task ADuplicateOrderPlacedHoldsOnce()
    {
        await Host.SendAsync(TwoWidgets("o-1"));
        await Host.SendAsync(TwoWidgets("o-1"));
        await Host.IdleAsync();

        var widget = await Host.ProductAsync("widget");
        Assert.Equal((998, 2), (widget.OnHand, widget.Reserved));
        Assert.Equal(ReservationStatus.Reserved, (await Host.ReservationAsync("o-1"))!.Status);
        Assert.Equal(1, DistinctEvents(Topics.StockReserved));
    }

    [Fact]
    public async Task OrderCancelledBeforeOrderPlacedLeavesATombstoneAndNoHold()
    {
        await Host.SendAsync(Cancelled("o-1"));
        await Host.IdleAsync();
        await Host.SendAsync(TwoWidgets("o-1"));
        await Host.IdleAsync();

        var reservation = await Host.ReservationAsync("o-1");
        Assert.Equal(ReservationStatus.Released, reservation!.Status);
        Assert.Empty(reservation.Items);
        var widget = await Host.ProductAsync("widget");
        Assert.Equal((1000, 0), (widget.OnHand, widget.Reserved));
        Assert.Empty(Host.Published(Topics.StockReserved));
        Assert.Empty(Host.Published(Topics.StockReservationFailed));
    }

    [Fact]
    public async Task OrderCancelledReleasesTheStockOnce()
    {
        await Host.SendAsync(TwoWidgets("o-1"));
        await Host.IdleAsync();

        await Host.SendAsync(Cancelled("o-1"));
        await Host.SendAsync(Cancelled("o-1"));
        await Host.SendAsync(TwoWidgets("o-1"));
        await Host.IdleAsync();

        Assert.Equal(ReservationStatus.Released, (await Host.ReservationAsync("o-1"))!.Status);
        var widget = await Host.ProductAsync("widget");
        Assert.Equal((1000, 0, 0, 1000), (widget.OnHand, widget.Reserved, widget.Sold, widget.Received));
        Assert.Equal(1, DistinctEvents(Topics.StockReleased));
        Assert.Equal(1, DistinctEvents(Topics.StockReserved));
    }

    [Fact]
    public async Task OrderCompletedMovesTheReservedStockToSoldOnce()
    {
        await Host.SendAsync(TwoWidgets("o-1"));
        await Host.IdleAsync();

        await Host.SendAsync(new OrderCompleted("o-1", SagaFlow.Choreography, At));
        await Host.SendAsync(new OrderCompleted("o-1", SagaFlow.Choreography, At));
        await Host.IdleAsync();
        // A stray cancellation after completion (cannot happen in the saga) changes nothing.
        await Host.SendAsync(Cancelled("o-1"));
        await Host.IdleAsync();

        Assert.Equal(ReservationStatus.Committed, (await Host.ReservationAsync("o-1"))!.Status);
        var widget = await Host.ProductAsync("widget");
        Assert.Equal((998, 0, 2), (widget.OnHand, widget.Reserved, widget.Sold));
        Assert.Equal(1, DistinctEvents(Topics.StockCommitted));
        Assert.Empty(Host.Published(Topics.StockReleased));
    }

    [Fact]
    public async Task EventsOfOrchestratedOrdersAreAcknowledgedAndIgnored()
    {
        await Host.SendAsync(TwoWidgets("o-1") with { Flow = SagaFlow.Orchestration });
        await Host.SendAsync(Cancelled("o-2") with { Flow = SagaFlow.Orchestration });
        await Host.IdleAsync();

        Assert.Null(await Host.StoredReservationAsync("o-1"));
        Assert.Null(await Host.StoredReservationAsync("o-2"));
        Assert.Equal(1000, (await Host.ProductAsync("widget")).OnHand);
        Assert.Empty(Host.Published(Topics.DeadLetters(AppIds.InventoryService)));
        Assert.Equal(0, Host.Testbed.Redeliveries);
    }

    public static TheoryData<string, string> MalformedEvents => new()
    {
        { Topics.OrderPlaced, """{"orderId":"o-1"}""" },
        { Topics.OrderPlaced, """{"orderId":"o-1","flow":"Choreography","customerId":"alice","items":[{"productId":"widget","quantity":0,"unitPrice":10.00}],"total":0,"deliveryZone":"north","autoConfirmPayment":true,"occurredAt":"2026-01-02T03:04:05Z"}""" },
        { Topics.OrderPlaced, """{"orderId":"o-1","flow":"Sideways","customerId":"alice","items":[],"total":0,"deliveryZone":"north","autoConfirmPayment":true,"occurredAt":"2026-01-02T03:04:05Z"}""" },
        { Topics.OrderCancelled, """{"orderId":"o||1","flow":"Choreography","reason":"CustomerCancelled","occurredAt":"2026-01-02T03:04:05Z"}""" },
        { Topics.OrderCompleted, "not json" },
    };

    [Theory]
    [MemberData(nameof(MalformedEvents))]
    public async Task AMalformedEventIsDroppedToTheDeadLetterTopic(string topic, string body)
    {
        await (await Host.ClientAsync(AppIds.OrderService)).PublishByteEventAsync(Components.PubSub, topic, Encoding.UTF8.GetBytes(body), "application/json");
        await Host.IdleAsync();

        var dead = Assert.Single(Host.Published(Topics.DeadLetters(AppIds.InventoryService)));
        Assert.Equal(topic, (string?)dead.Envelope["topic"]);
        Assert.Equal(0, Host.Testbed.Redeliveries);
        Assert.Null(await Host.StoredReservationAsync("o-1"));
        Assert.Equal(1000, (await Host.ProductAsync("widget")).OnHand);
    }

    [Fact]
    public async Task PutCreatesThenUpdatesAProductKeepingTheStockInvariant()
    {
        using var created = await Host.Http.PutAsJsonAsync("/products/sprocket", new { name = "Sprocket", price = 2.50m, onHand = 5 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await Host.SendAsync(Placed("o-1", new OrderLine("sprocket", 2, 2.50m)));
        await Host.IdleAsync();

        using var updated = await Host.Http.PutAsJsonAsync("/products/sprocket", new { name = "Sprocket", price = 3.00m, onHand = 10 });

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var sprocket = await updated.Content.ReadFromJsonAsync<ProductView>();
        Assert.Equal(new ProductView("sprocket", "Sprocket", 3.00m, 10, 2, 0, 12), sprocket);
        Assert.Contains(await Host.ProductsAsync(), p => p.ProductId == "sprocket");
    }

    public static TheoryData<string, string, string> BadPuts => new()
    {
        { "widget", """{"price":10.00,"onHand":5}""", "name" },
        { "widget", """{"name":"","price":10.00,"onHand":5}""", "name" },
        { "widget", """{"name":"Widget","onHand":5}""", "price" },
        { "widget", """{"name":"Widget","price":10.001,"onHand":5}""", "price" },
        { "widget", """{"name":"Widget","price":-1,"onHand":5}""", "price" },
        { "widget", """{"name":"Widget","price":1000000.01,"onHand":5}""", "price" },
        { "widget", """{"name":"Widget","price":10.00,"onHand":-1}""", "onHand" },
        { "widget", """{"name":"Widget","price":10.00}""", "onHand" },
        { "bad.id", """{"name":"Widget","price":10.00,"onHand":5}""", "productId" },
        { new string('x', 65), """{"name":"Widget","price":10.00,"onHand":5}""", "productId" },
    };

    [Theory]
    [MemberData(nameof(BadPuts))]
    public async Task ABadPutIsA400NamingTheFieldAndChangesNothing(string productId, string body, string field)
    {
        var before = await Host.ProductsAsync();

        using var response = await Host.Http.PutAsync($"/products/{productId}", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(problem!["errors"]!.AsObject().ContainsKey(field), problem.ToJsonString());
        Assert.Equal(before, await Host.ProductsAsync());
    }

    [Theory]
    [InlineData("""{"name":"Widget","price":"ten","onHand":5}""")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task ABodyThatIsNotJsonOfTheRightShapeIsA400(string body)
    {
        using var response = await Host.Http.PutAsync("/products/widget", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1000, (await Host.ProductAsync("widget")).OnHand);
    }

    [Fact]
    public async Task SwaggerDescribesTheProductAndReservationApis()
    {
        var document = await Host.Http.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json");

        var paths = document!["paths"]!.AsObject().Select(p => p.Key).Order();
        Assert.Equal(
            ["/dead-letters", "/dead-letters/{id}", "/dead-letters/{id}/replay", "/products", "/products/{productId}", "/reservations/{orderId}", "/reservations/{orderId}/commit", "/reservations/{orderId}/release"],
            paths);
    }

    [Fact]
    public async Task UnknownProductsAndReservationsAre404()
    {
        using var product = await Host.Http.GetAsync("/products/nope");
        using var reservation = await Host.Http.GetAsync("/reservations/o-404");

        Assert.Equal(HttpStatusCode.NotFound, product.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, reservation.StatusCode);
    }

    [Fact]
    public async Task TheSweepFinishesAReservationACrashLeftReserving()
    {
        // Crashed after holding the widgets, before the gadget; its order-placed was dead-lettered.
        var placed = Placed("o-1", new OrderLine("widget", 2, 10.00m), new OrderLine("gadget", 1, 25.00m));
        await Host.StoreUnfinishedAsync(Open(placed));
        await HoldDirectlyAsync("widget", "o-1", 2);

        Assert.Equal(HttpStatusCode.OK, await Host.SweepAsync());
        await Host.IdleAsync();

        Assert.Equal(ReservationStatus.Reserved, (await Host.ReservationAsync("o-1"))!.Status);
        Assert.Equal((998, 2), ((await Host.ProductAsync("widget")).OnHand, (await Host.ProductAsync("widget")).Reserved));
        Assert.Equal(99, (await Host.ProductAsync("gadget")).OnHand);
        Assert.Equal(1, DistinctEvents(Topics.StockReserved));
    }

    [Fact]
    public async Task AShortageFoundWhileReservingGivesBackWhatWasHeldThenRejects()
    {
        // Stock checked fine when the order was opened, but the gizmos went before their turn.
        var placed = Placed("o-1", new OrderLine("widget", 2, 10.00m), new OrderLine("gizmo", 3, 99.00m));
        await Host.StoreUnfinishedAsync(Open(placed));
        await HoldDirectlyAsync("gizmo", "someone-else", 1);

        await Host.SweepAsync();
        await Host.IdleAsync();

        var reservation = await Host.ReservationAsync("o-1");
        Assert.Equal((ReservationStatus.Rejected, CancellationReason.OutOfStock), (reservation!.Status, reservation.Reason));
        var widget = await Host.ProductAsync("widget");
        Assert.Equal((1000, 0), (widget.OnHand, widget.Reserved));
        Assert.Equal(CancellationReason.OutOfStock, Assert.Single(Host.Published<StockReservationFailed>()).Reason);
        // Every item carries a released marker, so a slow duplicate cannot hold afterwards.
        Assert.Equal(HoldState.Released, (await Host.StoredProductAsync("widget"))!.Holds["o-1"].State);
        Assert.Equal(HoldState.Released, (await Host.StoredProductAsync("gizmo"))!.Holds["o-1"].State);
        await Host.SendAsync(placed);
        await Host.IdleAsync();
        Assert.Equal(1000, (await Host.ProductAsync("widget")).OnHand);
    }

    [Fact]
    public async Task OrderCancelledWhileReservingIsRetriedAndReleasesOnceReserved()
    {
        var placed = TwoWidgets("o-1");
        await Host.StoreUnfinishedAsync(Open(placed));

        await Host.SendAsync(Cancelled("o-1"));
        await Host.IdleAsync();

        // Retried (not acknowledged) until its retries ran out, then dead-lettered; nothing changed.
        Assert.True(Host.Testbed.Redeliveries > 0);
        Assert.Single(Host.Published(Topics.DeadLetters(AppIds.InventoryService)));
        Assert.Equal(ReservationPhase.Reserving, (await Host.StoredReservationAsync("o-1"))!.Phase);

        await Host.SweepAsync();
        await Host.SendAsync(Cancelled("o-1"));
        await Host.IdleAsync();
        Assert.Equal(ReservationStatus.Released, (await Host.ReservationAsync("o-1"))!.Status);
        Assert.Equal(1000, (await Host.ProductAsync("widget")).OnHand);
    }

    [Fact]
    public async Task TheSweepMakesTheProductsFollowAnEndACrashLeftWrittenButNotApplied()
    {
        // Crashed after writing each end, before any product followed it; the triggers were dead-lettered.
        var released = Reservation.Cancel(Open(TwoWidgets("o-released")).AllHeld(At), "o-released", SagaFlow.Choreography, At);
        var committed = Open(Placed("o-committed", new OrderLine("gadget", 3, 25.00m))).AllHeld(At).Complete(At);
        await Host.StoreUnfinishedAsync(released.WithOutbox([], null));
        await Host.StoreUnfinishedAsync(committed.WithOutbox([], null));
        await HoldDirectlyAsync("widget", "o-released", 2);
        await HoldDirectlyAsync("gadget", "o-committed", 3);
        Host.Clock.Advance(Outbox.ListedAtLeast);

        Assert.Equal(HttpStatusCode.OK, await Host.SweepAsync());

        var widget = await Host.ProductAsync("widget");
        Assert.Equal((1000, 0, 0), (widget.OnHand, widget.Reserved, widget.Sold));
        var gadget = await Host.ProductAsync("gadget");
        Assert.Equal((97, 0, 3), (gadget.OnHand, gadget.Reserved, gadget.Sold));
        // Once the products follow, the reservations are at rest and leave the listing: the next sweep skips them.
        Assert.Empty(await Host.ListedAsync());
    }

    [Fact]
    public async Task AReservationStoredWithoutTheNoHoldsFlagIsSettledToBeSafe()
    {
        // As the previous version stored it: released, its holds not yet given back, no tookNoHolds.
        var released = Reservation.Cancel(Open(TwoWidgets("o-1")).AllHeld(At), "o-1", SagaFlow.Choreography, At).WithOutbox([], null);
        await Host.StoreUnfinishedAsync(released);
        var stored = JsonSerializer.SerializeToNode(released, ServiceDefaultsExtensions.JsonOptions)!.AsObject();
        Assert.True(stored.Remove("tookNoHolds"));
        await Host.AppDapr.UpdateAsync<JsonObject>(Components.InventoryStore, StockReservations.KeyOf("o-1"), _ => stored);
        await HoldDirectlyAsync("widget", "o-1", 2);

        await Host.SweepAsync();

        Assert.Equal((1000, 0), ((await Host.ProductAsync("widget")).OnHand, (await Host.ProductAsync("widget")).Reserved));
    }

    [Fact]
    public async Task AHoldDecidedOnAStaleReadIsDecidedAgainOnTheProductAsItIsNow()
    {
        var catalogue = Host.Services.GetRequiredService<ProductCatalogue>();
        var stale = (await catalogue.ReadManyAsync(["gizmo"], CancellationToken.None))["gizmo"];
        // Another order takes two of the three gizmos after that read.
        await HoldDirectlyAsync("gizmo", "o-other", 2);

        Assert.Equal(HoldOutcome.Short, await catalogue.HoldAsync("gizmo", "o-1", 2, InTime, stale, CancellationToken.None));
        Assert.Equal(HoldOutcome.Held, await catalogue.HoldAsync("gizmo", "o-2", 1, InTime, stale, CancellationToken.None));

        var gizmo = await Host.ProductAsync("gizmo");
        Assert.Equal((0, 3, 3), (gizmo.OnHand, gizmo.Reserved, gizmo.Received));
    }

    [Fact]
    public async Task AHoldAskedForPastItsTimeTakesNothingOnceTheOrdersSettledHoldIsForgotten()
    {
        var catalogue = Host.Services.GetRequiredService<ProductCatalogue>();
        Assert.Equal(HoldOutcome.Held, await catalogue.HoldAsync("widget", "o-1", 2, InTime, null, CancellationToken.None));
        await catalogue.ReleaseAsync("widget", "o-1", CancellationToken.None);
        Host.Clock.Advance(Holds.SettledLife);
        // Another order's hold is the product's next write: it forgets o-1's settled hold.
        await catalogue.HoldAsync("widget", "o-2", 1, Host.Now + Holds.TakeWithin, null, CancellationToken.None);
        Assert.DoesNotContain("o-1", (await Host.StoredProductAsync("widget"))!.Holds.Keys);

        // A worker still holding o-1's old Reserving view.
        Assert.Equal(HoldOutcome.Late, await catalogue.HoldAsync("widget", "o-1", 2, InTime, null, CancellationToken.None));

        var widget = await Host.ProductAsync("widget");
        Assert.Equal((999, 1), (widget.OnHand, widget.Reserved));
    }

    [Fact]
    public async Task AReservationThatCannotTakeItsHoldsInTimeTimesOutAndGivesBackWhatItHeld()
    {
        // Crashed after holding the widgets; its inventory stayed down past Holds:TakeWithin.
        var placed = Placed("o-1", new OrderLine("widget", 2, 10.00m), new OrderLine("gadget", 1, 25.00m));
        await Host.StoreUnfinishedAsync(Open(placed));
        await HoldDirectlyAsync("widget", "o-1", 2);
        Host.Clock.Advance(Holds.TakeWithin);

        await Host.SweepAsync();
        await Host.IdleAsync();

        var reservation = await Host.ReservationAsync("o-1");
        Assert.Equal((ReservationStatus.Rejected, CancellationReason.SagaTimedOut), (reservation!.Status, reservation.Reason));
        Assert.Equal((1000, 0), ((await Host.ProductAsync("widget")).OnHand, (await Host.ProductAsync("widget")).Reserved));
        Assert.Equal(100, (await Host.ProductAsync("gadget")).OnHand);
        Assert.Equal(CancellationReason.SagaTimedOut, Assert.Single(Host.Published<StockReservationFailed>()).Reason);
    }

    [Fact]
    public async Task AListedReservationThatAnotherWriterCreatedFinalLeavesTheListingOnTheSweep()
    {
        // The reservation was listed, but a cancellation's tombstone was written first.
        await Host.StoreUnfinishedAsync(Reservation.Tombstone("o-1", SagaFlow.Choreography, At));
        Host.Clock.Advance(Outbox.ListedAtLeast);

        Assert.Equal(HttpStatusCode.OK, await Host.SweepAsync());

        Assert.Empty(await Host.ListedAsync());
        Assert.Equal(1000, (await Host.ProductAsync("widget")).OnHand);
    }

    [Fact]
    public async Task TheSweepResendsEventsACrashLeftUnsent()
    {
        var reserved = Open(TwoWidgets("o-1")).AllHeld(At);
        await Host.StoreUnfinishedAsync(reserved);

        await Host.SweepAsync();
        await Host.IdleAsync();
        Assert.Equal(1, DistinctEvents(Topics.StockReserved));

        // The record keeps what was sent until its next write, or a sweep once it went out a while ago.
        Host.Clock.Advance(Outbox.ListedAtLeast);
        await Host.SweepAsync();
        await Host.IdleAsync();
        Assert.Equal(1, DistinctEvents(Topics.StockReserved));
        Assert.Empty((await Host.StoredReservationAsync("o-1"))!.Outbox);
    }

    [Fact]
    public async Task StockAddsUpAfterAMixOfOrders()
    {
        for (var i = 0; i < 12; i++)
        {
            await Host.SendAsync(Placed($"o-{i}", new OrderLine("widget", 1 + i, 10.00m), new OrderLine(i % 2 == 0 ? "gadget" : "gizmo", 1, i % 2 == 0 ? 25.00m : 99.00m)));
        }
        await Host.IdleAsync();
        for (var i = 0; i < 12; i += 3) await Host.SendAsync(Cancelled($"o-{i}"));
        for (var i = 1; i < 12; i += 3) await Host.SendAsync(new OrderCompleted($"o-{i}", SagaFlow.Choreography, At));
        await Host.SendAsync(Cancelled("o-never-placed"));
        await Host.IdleAsync();

        var products = await Host.ProductsAsync();
        AssertStockAddsUp(products);
        // gizmo had 3: three odd orders got one each, the other three were refused.
        Assert.Equal(3, Host.Published<StockReserved>().Count(r => int.Parse(r.OrderId[2..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 1));
        var reservations = new List<Reservation>();
        for (var i = 0; i < 12; i++) reservations.Add((await Host.StoredReservationAsync($"o-{i}"))!);
        int HeldIn(string productId, ReservationPhase phase) =>
            reservations.Where(r => r.Phase == phase).Sum(r => r.Quantities.GetValueOrDefault(productId));
        foreach (var p in products)
        {
            Assert.Equal(HeldIn(p.ProductId, ReservationPhase.Reserved), p.Reserved);
            Assert.Equal(HeldIn(p.ProductId, ReservationPhase.Committed), p.Sold);
        }
        Assert.DoesNotContain(reservations, r => r.IsUnfinished);
    }

    private static Reservation Open(OrderPlaced placed)
    {
        var products = DemoCatalogue.All.ToDictionary(p => p.ProductId);
        var reservation = Reservation.Open(null, ReservationRequest.From(placed), products, At)!;
        Assert.Equal(ReservationPhase.Reserving, reservation.Phase);
        return reservation;
    }

    private HoldOptions Holds => Host.Services.GetRequiredService<IOptions<HoldOptions>>().Value;

    // The time a reservation opened at the host's start has to take its holds.
    private DateTimeOffset InTime => At + Holds.TakeWithin;

    private async Task HoldDirectlyAsync(string productId, string orderId, int quantity) =>
        await Host.AppDapr.UpdateAsync<Product>(Components.InventoryStore, ProductCatalogue.KeyOf(productId), p => p!.Hold(orderId, quantity));

    /// <summary>
    /// How many distinct events went out on a topic: two workers finishing the same step may both
    /// send the record's pending event (the outbox allows it), but it is the same event, same id.
    /// </summary>
    private int DistinctEvents(string topic) => Host.Published(topic).Select(e => e.Id).Distinct().Count();
}
