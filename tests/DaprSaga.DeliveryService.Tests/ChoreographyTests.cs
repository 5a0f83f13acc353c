using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.DeliveryService.Tests;

/// <summary>The reactions to order-confirmed and order-cancelled, through the test sidecar.</summary>
public sealed class ChoreographyTests() : HostedTest<DeliveryHost>(() => DeliveryHost.StartAsync())
{
    [Fact]
    public void TheSidecarSubscribesToWhatTheTopologyListsWithTheAppsDeadLetterTopic() => ServiceAssert.SubscribesToItsTopology(Host.Sidecar);

    [Fact]
    public async Task AnOrderConfirmedInNorthIsScheduledWithANorthCourier()
    {
        await Host.ConfirmAsync("o-north", "north");
        await Host.IdleAsync();

        var delivery = await Host.DeliveryAsync("o-north");
        Assert.Equal(new DeliveryView("o-north", "c-north-1", "north", DeliveryStatus.Scheduled, null), delivery);
        var scheduled = Assert.Single(Host.Testbed.PubSub(Components.PubSub).Published(Topics.DeliveryScheduled));
        Assert.Equal(Topics.EventType(Topics.DeliveryScheduled), (string?)scheduled.Envelope["type"]);
        Assert.Equal("c-north-1", (string?)scheduled.Envelope["data"]!["courierId"]);
        Assert.Equal("Choreography", (string?)scheduled.Envelope["data"]!["flow"]);
        Assert.Equal(1, (await Host.CourierAsync("c-north-1")).ActiveDeliveries);
    }

    [Fact]
    public async Task NoCourierInWestFailsTheDeliveryAndSaysSo()
    {
        await Host.ConfirmAsync("o-west", "west");
        await Host.IdleAsync();

        var delivery = await Host.DeliveryAsync("o-west");
        Assert.Equal(new DeliveryView("o-west", null, "west", DeliveryStatus.Failed, CancellationReason.NoCourierAvailable), delivery);
        var failed = Assert.Single(Host.PublishedData(Topics.DeliveryFailed));
        Assert.Equal(("o-west", "NoCourierAvailable"), ((string?)failed["orderId"], (string?)failed["reason"]));
        Assert.Empty(Host.PublishedData(Topics.DeliveryScheduled));
    }

    [Fact]
    public async Task TheOnlyEastSlotGoesToTheFirstOrderAndTheSecondFails()
    {
        await Host.ConfirmAsync("o-east-1", "east");
        await Host.IdleAsync();
        await Host.ConfirmAsync("o-east-2", "east");
        await Host.IdleAsync();

        Assert.Equal(DeliveryStatus.Scheduled, (await Host.DeliveryAsync("o-east-1"))?.Status);
        Assert.Equal(DeliveryStatus.Failed, (await Host.DeliveryAsync("o-east-2"))?.Status);
        Assert.Single(Host.PublishedFor(Topics.DeliveryFailed, "o-east-2"));
        Assert.Equal(1, (await Host.CourierAsync("c-east-1")).ActiveDeliveries);
    }

    [Fact]
    public async Task TheOrdersOfAZoneWithManyCouriersFillEverySlotBeforeOneFails()
    {
        for (var k = 0; k < 4; k++)
            (await Host.Http.PutAsJsonAsync($"/couriers/c-busy-{k}", new { name = $"Busy {k}", zone = "busy", capacity = 2 })).Dispose();

        // One at a time, so each choice sees the loads the previous ones left.
        for (var i = 0; i < 9; i++)
        {
            await Host.ConfirmAsync($"o-busy-{i}", "busy");
            await Host.IdleAsync();
        }

        var statuses = await Task.WhenAll(Enumerable.Range(0, 9).Select(i => Host.DeliveryAsync($"o-busy-{i}")));
        Assert.All(statuses.Take(8), d => Assert.Equal(DeliveryStatus.Scheduled, d?.Status));
        Assert.Equal(DeliveryStatus.Failed, statuses[8]?.Status);
        for (var k = 0; k < 4; k++) Assert.Equal(2, (await Host.CourierAsync($"c-busy-{k}")).ActiveDeliveries);
    }

    [Fact]
    public async Task WhenBothCouriersComparedForAnOrderAreFullTheRestOfTheZoneIsAsked()
    {
        string[] trio = ["c-trio-0", "c-trio-1", "c-trio-2"];
        foreach (var id in trio) (await Host.Http.PutAsJsonAsync($"/couriers/{id}", new { name = id, zone = "trio", capacity = 1 })).Dispose();
        var compared = CourierChoice.Sample("o-trio", trio);
        var roster = Host.Services.GetRequiredService<CourierRoster>();
        foreach (var id in compared) Assert.Equal(AssignmentState.Active, await roster.TakeAsync(id, $"o-before-{id}", "trio", Host.Now + TimeSpan.FromMinutes(1), CancellationToken.None));

        await Host.ConfirmAsync("o-trio", "trio");
        await Host.IdleAsync();

        Assert.Equal(trio.Except(compared).Single(), (await Host.DeliveryAsync("o-trio"))?.CourierId);
    }

    [Fact]
    public async Task DuplicateOrderConfirmedEventsTakeOneSlot()
    {
        // Delivered concurrently by the sidecar: the duplicates race each other.
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Host.ConfirmAsync("o-dup", "north")));
        await Host.IdleAsync();

        Assert.Equal(DeliveryStatus.Scheduled, (await Host.DeliveryAsync("o-dup"))?.Status);
        Assert.Single(Host.PublishedFor(Topics.DeliveryScheduled, "o-dup"));
        var north = (await Host.CourierAsync("c-north-1")).ActiveDeliveries + (await Host.CourierAsync("c-north-2")).ActiveDeliveries;
        Assert.Equal(1, north);
        Assert.Equal(0, Host.Testbed.DeadLettered);
        Host.AssertCourierInvariants();
    }

    [Fact]
    public async Task ManyOrdersRacingForTheEastSlotGetOneScheduledAndTheRestFailed()
    {
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Host.ConfirmAsync($"o-race-{i}", "east")));
        await Host.IdleAsync();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Host.DeliveryAsync($"o-race-{i}")));
        Assert.Equal(1, statuses.Count(d => d?.Status == DeliveryStatus.Scheduled));
        Assert.Equal(5, statuses.Count(d => d?.Status == DeliveryStatus.Failed));
        Assert.Equal(1, (await Host.CourierAsync("c-east-1")).ActiveDeliveries);
        Assert.Equal(0, Host.Testbed.DeadLettered);
        Host.AssertCourierInvariants();
    }

    [Fact]
    public async Task OrderCancelledFreesTheSlotForTheNextOrder()
    {
        await Host.ConfirmThenCancelAsync("o-1", "east", CancellationReason.SagaTimedOut);

        Assert.Equal(new DeliveryView("o-1", "c-east-1", "east", DeliveryStatus.Cancelled, CancellationReason.SagaTimedOut), await Host.DeliveryAsync("o-1"));
        var cancelled = Assert.Single(Host.PublishedData(Topics.DeliveryCancelled));
        Assert.Equal("c-east-1", (string?)cancelled["courierId"]);
        await Host.AssertEastSlotServesTheNextOrderAsync();
    }

    [Fact]
    public async Task ARepeatedOrderCancelledAndALateOrderConfirmedChangeNothing()
    {
        await Host.ConfirmAsync("o-1", "east");
        await Host.IdleAsync();
        await Host.CancelAsync("o-1");
        await Host.CancelAsync("o-1");
        await Host.ConfirmAsync("o-1", "east");
        await Host.IdleAsync();

        Assert.Equal(DeliveryStatus.Cancelled, (await Host.DeliveryAsync("o-1"))?.Status);
        Assert.Single(Host.PublishedData(Topics.DeliveryCancelled));
        Assert.Single(Host.PublishedData(Topics.DeliveryScheduled));
        Assert.Equal(0, (await Host.CourierAsync("c-east-1")).ActiveDeliveries);
    }

    [Fact]
    public async Task OrderCancelledBeforeOrderConfirmedLeavesATombstoneAndNoSlotIsTakenLater()
    {
        await Host.CancelAsync("o-early", CancellationReason.PaymentCancelled);
        await Host.IdleAsync();
        await Host.ConfirmAsync("o-early", "east");
        await Host.IdleAsync();

        Assert.Equal(new DeliveryView("o-early", null, "", DeliveryStatus.Cancelled, CancellationReason.PaymentCancelled), await Host.DeliveryAsync("o-early"));
        Assert.Empty(Host.PublishedData(Topics.DeliveryScheduled));
        Assert.Empty(Host.PublishedData(Topics.DeliveryCancelled));
        Assert.Equal(0, (await Host.CourierAsync("c-east-1")).ActiveDeliveries);
    }

    [Fact]
    public async Task OrderCancelledRacingOrderConfirmedNeverLeavesASlotTaken()
    {
        var orders = Enumerable.Range(0, 8).Select(i => $"o-mix-{i}").ToList();
        await Task.WhenAll(orders.SelectMany(o => new[] { Host.ConfirmAsync(o, "north"), Host.CancelAsync(o) }));
        await Host.IdleAsync();

        foreach (var order in orders) Assert.Equal(DeliveryStatus.Cancelled, (await Host.DeliveryAsync(order))?.Status);
        Assert.Equal(0, (await Host.CourierAsync("c-north-1")).ActiveDeliveries);
        Assert.Equal(0, (await Host.CourierAsync("c-north-2")).ActiveDeliveries);
        // Every delivery announced as scheduled was announced as cancelled too.
        Assert.Equal(Host.PublishedData(Topics.DeliveryScheduled).Count, Host.PublishedData(Topics.DeliveryCancelled).Count);
        Assert.Equal(0, Host.Testbed.DeadLettered);
        Host.AssertCourierInvariants();
    }

    [Fact]
    public async Task EventsOfOrchestratedOrdersAreAcknowledgedAndIgnored()
    {
        await Host.ConfirmAsync("o-orch", "north", SagaFlow.Orchestration);
        await Host.SendAsync(new OrderCancelled("o-orch-2", SagaFlow.Orchestration, CancellationReason.OutOfStock, DateTimeOffset.UtcNow));
        await Host.IdleAsync();

        Assert.Null(await Host.DeliveryAsync("o-orch"));
        Assert.Null(await Host.DeliveryAsync("o-orch-2"));
        Assert.Equal(0, Host.Testbed.Redeliveries);
        Assert.Equal(0, Host.Testbed.DeadLettered);
    }

    [Fact]
    public async Task AMalformedEventIsDroppedToTheAppsDeadLetterTopic()
    {
        var orders = await Host.ClientAsync(AppIds.OrderService);
        await orders.PublishEventAsync(Components.PubSub, Topics.OrderConfirmed, new { orderId = "o-bad", deliveryZone = "north" });
        await orders.PublishEventAsync(Components.PubSub, Topics.OrderCancelled, new { orderId = "o||bad", flow = "Choreography", reason = "OutOfStock", occurredAt = DateTimeOffset.UtcNow });
        await orders.PublishEventAsync(Components.PubSub, Topics.OrderConfirmed, new { orderId = "o-nozone", flow = "Choreography", occurredAt = DateTimeOffset.UtcNow });
        await Host.IdleAsync();

        var dead = Host.Testbed.PubSub(Components.PubSub).Published(Topics.DeadLetters(AppIds.DeliveryService));
        Assert.Equal(3, dead.Count);
        Assert.Null(await Host.DeliveryAsync("o-nozone"));
        Assert.Equal(0, Host.Testbed.Redeliveries);
        Assert.Null(await Host.DeliveryAsync("o-bad"));
    }
}
