using Dapr.Client;
using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.DeliveryService.Tests;

/// <summary>
/// A crash between the single-key steps leaves the delivery mid-step; the outbox-sweep cron
/// binding carries it on without repeating an effect. The crash is simulated by writing the
/// state it would leave.
/// </summary>
public sealed class RecoveryTests() : HostedTest<DeliveryHost>(() => DeliveryHost.StartAsync())
{
    private const string Store = Components.DeliveryStore;
    private DaprClient Dapr => Host.AppDapr;
    private static readonly AssignmentOptions Assignments = new();
    private CourierRoster Roster => Host.Services.GetRequiredService<CourierRoster>();

    private Task LeaveUnfinishedAsync(Delivery delivery) =>
        Listing.StoreListedAsync(Dapr, Store, DeliveryDispatcher.KeyOf(delivery.OrderId), delivery, Host.Clock);

    private Task<IReadOnlyList<string>> ListedAsync() => Listing.KeysAsync(Dapr, Store);

    private async Task SweepAsync()
    {
        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OutboxSweep));
        await Host.IdleAsync();
    }

    /// <summary>o-crash stopped after asking c-east-1 and taking its slot, before recording the answer.</summary>
    private async Task LeaveAskedWithTheSlotTakenAsync()
    {
        await LeaveUnfinishedAsync(Delivery.Request(null, "o-crash", SagaFlow.Choreography, "east")!.Ask("c-east-1", Host.Now)!);
        await Dapr.UpdateAsync<Courier>(Store, CourierRoster.KeyOf("c-east-1"), c => c!.Take("o-crash", "east").Next);
    }

    /// <summary>o-1 scheduled on c-east-1 for real, as stored.</summary>
    private async Task<Delivery> ScheduledOnEastAsync()
    {
        await Host.ConfirmAsync("o-1", "east");
        await Host.IdleAsync();
        return (await Dapr.GetStateAsync<Delivery>(Store, DeliveryDispatcher.KeyOf("o-1")))!;
    }

    /// <summary><paramref name="orderId"/>'s delivery stands at <paramref name="status"/> and c-east-1 holds <paramref name="eastActive"/> deliveries.</summary>
    private async Task AssertDeliveryAndEastAsync(string orderId, DeliveryStatus status, int eastActive)
    {
        Assert.Equal(status, (await Host.DeliveryAsync(orderId))?.Status);
        Assert.Equal(eastActive, (await Host.CourierAsync("c-east-1")).ActiveDeliveries);
    }

    [Fact]
    public async Task TheSweepFinishesAnAssignmentThatStoppedBeforeAskingACourier()
    {
        await LeaveUnfinishedAsync(Delivery.Request(null, "o-crash", SagaFlow.Choreography, "south")!);

        await SweepAsync();

        Assert.Equal(new DeliveryView("o-crash", "c-south-1", "south", DeliveryStatus.Scheduled, null), await Host.DeliveryAsync("o-crash"));
        Assert.Single(Host.PublishedData(Topics.DeliveryScheduled));
    }

    [Fact]
    public async Task TheSweepFinishesAnAssignmentThatStoppedAfterTakingTheSlotWithoutTakingAnother()
    {
        await LeaveAskedWithTheSlotTakenAsync();

        await SweepAsync();

        await AssertDeliveryAndEastAsync("o-crash", DeliveryStatus.Scheduled, eastActive: 1);
        Assert.Single(Host.PublishedData(Topics.DeliveryScheduled));
    }

    [Fact]
    public async Task AConfirmRedeliveredAfterACrashCarriesOnTheSameAssignment()
    {
        await LeaveAskedWithTheSlotTakenAsync();

        await Host.ConfirmAsync("o-crash", "east");
        await Host.IdleAsync();

        await AssertDeliveryAndEastAsync("o-crash", DeliveryStatus.Scheduled, eastActive: 1);
    }

    [Fact]
    public async Task TheSweepFinishesACancellationThatStoppedBeforeFreeingTheSlot()
    {
        var scheduled = await ScheduledOnEastAsync();
        await LeaveUnfinishedAsync(Delivery.Cancel(scheduled, "o-1", SagaFlow.Choreography, CancellationReason.SagaTimedOut)!);

        await SweepAsync();

        await AssertDeliveryAndEastAsync("o-1", DeliveryStatus.Cancelled, eastActive: 0);
        Assert.Single(Host.PublishedData(Topics.DeliveryCancelled));
    }

    [Fact]
    public async Task TheSweepFinishesADeliveredReportThatStoppedBeforeFreeingTheSlot()
    {
        var scheduled = await ScheduledOnEastAsync();
        await LeaveUnfinishedAsync(scheduled.ReportDelivered()!);

        await SweepAsync();

        await AssertDeliveryAndEastAsync("o-1", DeliveryStatus.Delivered, eastActive: 0);
    }

    [Fact]
    public async Task ADeliveredReportThatStopsBeforeFreeingTheSlotIsListedForTheSweep()
    {
        await Host.ConfirmAsync("o-1", "east");
        await Host.IdleAsync();
        // Scheduled is at rest: once its event is sent, a sweep past its listing time unlists it.
        Host.Clock.Advance(Outbox.ListedAtLeast);
        await SweepAsync();
        Assert.Empty(await ListedAsync());
        // An unreadable courier makes the report fail after it recorded Delivering, as a crash would.
        var courierKey = CourierRoster.KeyOf("c-east-1");
        var (east, etag) = await Dapr.GetStateAndETagAsync<Courier>(Store, courierKey);
        Assert.True(await Dapr.TrySaveStateAsync(Store, courierKey, "not a courier", etag));

        using var failed = await Host.Http.PostAsync("/deliveries/o-1/delivered", null);
        var (_, spoiled) = await Dapr.GetStateAndETagAsync<string>(Store, courierKey);
        Assert.True(await Dapr.TrySaveStateAsync(Store, courierKey, east, spoiled));
        var listed = await ListedAsync();
        await SweepAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal([DeliveryDispatcher.KeyOf("o-1")], listed);
        await AssertDeliveryAndEastAsync("o-1", DeliveryStatus.Delivered, eastActive: 0);
        // Delivered is at rest: the next sweep past its listing time unlists it.
        Host.Clock.Advance(Outbox.ListedAtLeast);
        await SweepAsync();
        Assert.Empty(await ListedAsync());
    }

    [Fact]
    public async Task TheSweepPublishesEventsACrashLeftUnsent()
    {
        var failed = Delivery.Request(null, "o-unsent", SagaFlow.Choreography, "west")!.NoCourierLeft(DateTimeOffset.UtcNow)!;
        await Listing.StoreListedAsync(Dapr, Store, DeliveryDispatcher.KeyOf("o-unsent"), failed, Host.Clock);

        await SweepAsync();
        // Struck off by a sweep once it went out a while ago (the record has no next write).
        Host.Clock.Advance(Outbox.ListedAtLeast);
        await SweepAsync();

        Assert.Single(Host.PublishedFor(Topics.DeliveryFailed, "o-unsent"));
        Assert.Empty((await Dapr.GetStateAsync<Delivery>(Store, DeliveryDispatcher.KeyOf("o-unsent")))!.Outbox);
    }

    [Fact]
    public async Task ASlowDuplicateThatAsksTheCourierAfterTheCancellationGetsNoSlot()
    {
        await Host.ConfirmThenCancelAsync("o-1", "east");

        // What a handler that read the delivery while it was asking c-east-1 would do now.
        await Roster.TakeAsync("c-east-1", "o-1", "east", Host.Now + Assignments.TakeWithin, CancellationToken.None);

        Assert.Equal(0, (await Host.CourierAsync("c-east-1")).ActiveDeliveries);
    }

    [Fact]
    public async Task ATakeAskedForPastItsTimeGetsNoSlotOnceTheOrdersSettledAnswerIsForgotten()
    {
        var askedBy = Host.Now + Assignments.TakeWithin;
        await Host.ConfirmThenCancelAsync("o-1", "east");
        Host.Clock.Advance(Assignments.SettledLife);
        // Another order's take is the courier's next write: it forgets o-1's settled answer.
        Assert.Equal(AssignmentState.Active, await Roster.TakeAsync("c-east-1", "o-2", "east", Host.Now + Assignments.TakeWithin, CancellationToken.None));
        Assert.Equal(["o-2"], Host.StoredCouriers().Single(c => c.CourierId == "c-east-1").Assignments.Keys);

        // A worker still holding o-1's old ask, in a courier with a free slot again.
        await Roster.ReleaseAsync("c-east-1", "o-2", CancellationToken.None);
        Assert.Equal(AssignmentState.Declined, await Roster.TakeAsync("c-east-1", "o-1", "east", askedBy, CancellationToken.None));

        Assert.Equal(0, (await Host.CourierAsync("c-east-1")).ActiveDeliveries);
        Assert.DoesNotContain("o-1", Host.StoredCouriers().Single(c => c.CourierId == "c-east-1").Assignments.Keys);
    }

    [Fact]
    public async Task AnAssignmentStoppedPastItsTimeIsDeclinedByItsCandidateAndAsksTheNext()
    {
        // Its service stayed down past Assignments:TakeWithin after asking c-east-1, the only courier of the east.
        await LeaveUnfinishedAsync(Delivery.Request(null, "o-crash", SagaFlow.Choreography, "east")!.Ask("c-east-1", Host.Now)!);
        Host.Clock.Advance(Assignments.TakeWithin);

        await SweepAsync();

        await AssertDeliveryAndEastAsync("o-crash", DeliveryStatus.Failed, eastActive: 0);
        Assert.Single(Host.PublishedFor(Topics.DeliveryFailed, "o-crash"));
    }
}
