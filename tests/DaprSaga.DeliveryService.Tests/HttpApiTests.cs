using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.DeliveryService.Tests;

/// <summary>Couriers and the delivered report over HTTP.</summary>
public sealed class HttpApiTests() : HostedTest<DeliveryHost>(() => DeliveryHost.StartAsync())
{
    private Task<HttpResponseMessage> PutCourierAsync(string id, object body) => Host.Http.PutAsJsonAsync($"/couriers/{id}", body);

    [Fact]
    public async Task TheDemoCouriersAreSeeded()
    {
        var couriers = await Host.Http.GetFromJsonAsync<List<CourierView>>("/couriers", ServiceDefaultsExtensions.JsonOptions);

        Assert.Equal(
            [("c-east-1", "east", 1), ("c-north-1", "north", 50), ("c-north-2", "north", 50), ("c-south-1", "south", 50)],
            couriers!.Select(c => (c.CourierId, c.Zone, c.Capacity)));
        Assert.All(couriers!, c => Assert.Equal(0, c.ActiveDeliveries));
    }

    [Fact]
    public async Task AnUnknownCourierIsNotFound() =>
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync("/couriers/nobody")).StatusCode);

    [Fact]
    public async Task PuttingANewCourierCreatesItAndItServesItsZone()
    {
        using var created = await PutCourierAsync("c-west-1", new { name = "West", zone = "west", capacity = 2 });
        await Host.ConfirmAsync("o-west", "west");
        await Host.IdleAsync();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/couriers/c-west-1", created.Headers.Location?.OriginalString);
        Assert.Equal(new CourierView("c-west-1", "West", "west", 2, 1), await Host.CourierAsync("c-west-1"));
        Assert.Equal(DeliveryStatus.Scheduled, (await Host.DeliveryAsync("o-west"))?.Status);
    }

    [Fact]
    public async Task PuttingAnExistingCourierUpdatesItAndKeepsItsActiveDeliveries()
    {
        await Host.ConfirmAsync("o-1", "east");
        await Host.IdleAsync();

        using var updated = await PutCourierAsync("c-east-1", new { name = "East renamed", zone = "east", capacity = 0 });
        await Host.ConfirmAsync("o-2", "east");
        await Host.IdleAsync();

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(new CourierView("c-east-1", "East renamed", "east", 0, 1), await Host.CourierAsync("c-east-1"));
        Assert.Equal(DeliveryStatus.Failed, (await Host.DeliveryAsync("o-2"))?.Status);
    }

    [Fact]
    public async Task ACourierMovedToAnotherZoneServesItAndNoLongerItsOldZone()
    {
        using var moved = await PutCourierAsync("c-east-1", new { name = "East, now west", zone = "west", capacity = 1 });
        await Host.ConfirmAsync("o-west", "west");
        await Host.ConfirmAsync("o-east", "east");
        await Host.IdleAsync();

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(new DeliveryView("o-west", "c-east-1", "west", DeliveryStatus.Scheduled, null), await Host.DeliveryAsync("o-west"));
        Assert.Equal(DeliveryStatus.Failed, (await Host.DeliveryAsync("o-east"))?.Status);
    }

    [Fact]
    public async Task ACourierServesItsZoneWhateverTheCaseOfTheOrdersZone()
    {
        (await PutCourierAsync("c-west-1", new { name = "West", zone = "WeSt", capacity = 2 })).Dispose();

        await Host.ConfirmAsync("o-west", "west");
        await Host.IdleAsync();

        Assert.Equal(DeliveryStatus.Scheduled, (await Host.DeliveryAsync("o-west"))?.Status);
    }

    [Fact]
    public async Task ACourierStoredBeforeZonesHadRostersIsPutOnItsZonesRoster()
    {
        // What an earlier version left: the courier and its catalogue entry, no zone roster.
        var dapr = Host.AppDapr;
        await new ShardedIndex(dapr, Components.DeliveryStore, "couriers", shards: 4).AddAsync("c-old-1");
        await dapr.SaveStateAsync(Components.DeliveryStore, CourierRoster.KeyOf("c-old-1"), Courier.Register("c-old-1", "Old", "west", 1));

        await Host.Services.GetRequiredService<CourierRoster>().PutOnZoneRostersAsync(CancellationToken.None);
        await Host.ConfirmAsync("o-west", "west");
        await Host.IdleAsync();

        Assert.Equal(new DeliveryView("o-west", "c-old-1", "west", DeliveryStatus.Scheduled, null), await Host.DeliveryAsync("o-west"));
    }

    public static TheoryData<string, string, string> BadCouriers => new()
    {
        { "c-x", """{"name":"X","zone":"west","capacity":10001}""", "capacity" },
        { "c-x", """{"name":"X","zone":"west","capacity":-1}""", "capacity" },
        { "c-x", """{"name":"X","zone":"west"}""", "capacity" },
        { "c-x", """{"name":"X","zone":"","capacity":1}""", "zone" },
        { "c-x", """{"name":"X","zone":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz","capacity":1}""", "zone" },
        { "c-x", """{"zone":"west","capacity":1}""", "name" },
        { "c-x", $$"""{"name":"{{new string('n', 101)}}","zone":"west","capacity":1}""", "name" },
        { "c%20x", """{"name":"X","zone":"west","capacity":1}""", "courierId" },
        { new string('c', 65), """{"name":"X","zone":"west","capacity":1}""", "courierId" },
    };

    [Theory]
    [MemberData(nameof(BadCouriers))]
    public async Task ABadCourierIsRefusedNamingTheFieldAndNothingIsStored(string id, string body, string field)
    {
        using var response = await Host.Http.PutAsync($"/couriers/{id}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal([field], problem!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(4, Host.StoredCouriers().Count);
    }

    [Fact]
    public async Task AnInvalidUpdateLeavesTheCourierAsItWas()
    {
        using var response = await PutCourierAsync("c-east-1", new { name = "East", zone = "east", capacity = 10_001 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, (await Host.CourierAsync("c-east-1")).Capacity);
    }

    [Fact]
    public async Task DeliveredFreesTheSlotAndARepeatAnswersTheSame()
    {
        await Host.ConfirmAsync("o-1", "east");
        await Host.IdleAsync();

        using var first = await Host.Http.PostAsync("/deliveries/o-1/delivered", null);
        using var repeat = await Host.Http.PostAsync("/deliveries/o-1/delivered", null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        var expected = new DeliveryView("o-1", "c-east-1", "east", DeliveryStatus.Delivered, null);
        Assert.Equal(expected, await repeat.Content.ReadFromJsonAsync<DeliveryView>(ServiceDefaultsExtensions.JsonOptions));
        Assert.Equal(expected, await Host.DeliveryAsync("o-1"));
        await Host.AssertEastSlotServesTheNextOrderAsync();
    }

    [Fact]
    public async Task ACancelAfterDeliveredChangesNothing()
    {
        await Host.ConfirmAsync("o-1", "east");
        await Host.IdleAsync();
        (await Host.Http.PostAsync("/deliveries/o-1/delivered", null)).Dispose();

        await Host.CancelAsync("o-1");
        await Host.IdleAsync();

        Assert.Equal(DeliveryStatus.Delivered, (await Host.DeliveryAsync("o-1"))?.Status);
        Assert.Empty(Host.PublishedData(Topics.DeliveryCancelled));
    }

    [Fact]
    public async Task DeliveredIsRefusedForAFailedDeliveryWithItsReason()
    {
        await Host.ConfirmAsync("o-west", "west");
        await Host.IdleAsync();

        using var response = await Host.Http.PostAsync("/deliveries/o-west/delivered", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("NoCourierAvailable", (string?)problem!["reason"]);
    }

    [Fact]
    public async Task DeliveredIsRefusedForACancelledDeliveryWithTheCancellationReason()
    {
        await Host.ConfirmThenCancelAsync("o-1", "east", CancellationReason.CustomerCancelled);

        using var response = await Host.Http.PostAsync("/deliveries/o-1/delivered", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("CustomerCancelled", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["reason"]);
        Assert.Equal(DeliveryStatus.Cancelled, (await Host.DeliveryAsync("o-1"))?.Status);
    }

    [Fact]
    public async Task AnUnknownDeliveryIsNotFound()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync("/deliveries/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.PostAsync("/deliveries/nope/delivered", null)).StatusCode);
    }

    [Fact]
    public async Task AnInvalidOrderIdIsABadRequest()
    {
        using var response = await Host.Http.PostAsync("/deliveries/a%7C%7Cb/delivered", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["orderId"]);
    }
}
