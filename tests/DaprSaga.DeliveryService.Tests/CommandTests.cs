using System.Text;
using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.DeliveryService.Tests;

/// <summary>The participant commands order-process-service calls: schedule and cancel a delivery.</summary>
public sealed class CommandTests() : HostedTest<DeliveryHost>(() => DeliveryHost.StartAsync())
{
    private Task<HttpResponseMessage> ScheduleAsync(string orderId, string zone, HttpClient? client = null) =>
        (client ?? Host.AsOrchestrator).PostAsJsonAsync(new Uri($"/deliveries/{orderId}", UriKind.Relative), new { zone, flow = "Orchestration" });

    private Task<HttpResponseMessage> CancelAsync(string orderId, HttpClient? client = null) =>
        (client ?? Host.AsOrchestrator).PostAsJsonAsync(new Uri($"/deliveries/{orderId}/cancel", UriKind.Relative), new { });

    private static async Task<DeliveryView?> ViewAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<DeliveryView>(ServiceDefaultsExtensions.JsonOptions);

    private static async Task<string?> ReasonAsync(HttpResponseMessage response) =>
        (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["reason"];

    private int StoredDeliveries() =>
        Host.Testbed.StateStore(Components.DeliveryStore).Snapshot($"{AppIds.DeliveryService}||{DeliveryDispatcher.KeyOf("")}").Count;

    private async Task<int> ActiveInAsync(params string[] courierIds)
    {
        var total = 0;
        foreach (var id in courierIds) total += (await Host.CourierAsync(id)).ActiveDeliveries;
        return total;
    }

    [Fact]
    public async Task ScheduleAssignsACourierAndAnnouncesItAsOrchestrated()
    {
        using var response = await ScheduleAsync("o-1", "north");
        await Host.IdleAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = new DeliveryView("o-1", "c-north-1", "north", DeliveryStatus.Scheduled, null);
        Assert.Equal(expected, await ViewAsync(response));
        Assert.Equal(expected, await Host.DeliveryAsync("o-1"));
        var scheduled = Assert.Single(Host.Testbed.PubSub(Components.PubSub).Published(Topics.DeliveryScheduled));
        Assert.Equal(Topics.EventType(Topics.DeliveryScheduled), (string?)scheduled.Envelope["type"]);
        Assert.Equal(("o-1", "Orchestration", "c-north-1"),
            ((string?)scheduled.Envelope["data"]!["orderId"], (string?)scheduled.Envelope["data"]!["flow"], (string?)scheduled.Envelope["data"]!["courierId"]));
        Assert.Equal(1, await ActiveInAsync("c-north-1"));
    }

    [Fact]
    public async Task ARepeatedScheduleAnswersTheSameAndTakesOneSlot()
    {
        using var first = await ScheduleAsync("o-1", "north");
        using var repeat = await ScheduleAsync("o-1", "north");
        await Host.IdleAsync();

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, repeat.StatusCode));
        Assert.Equal(await ViewAsync(first), await ViewAsync(repeat));
        Assert.Single(Host.PublishedData(Topics.DeliveryScheduled));
        Assert.Equal(1, await ActiveInAsync("c-north-1", "c-north-2"));
    }

    [Fact]
    public async Task ConcurrentSchedulesOfOneOrderAllAnswerTheSameDeliveryAndTakeOneSlot()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => ScheduleAsync("o-dup", "north")));
        await Host.IdleAsync();

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var views = await Task.WhenAll(responses.Select(ViewAsync));
        Assert.Single(views.Distinct());
        Assert.Single(Host.PublishedFor(Topics.DeliveryScheduled, "o-dup"));
        Assert.Equal(1, await ActiveInAsync("c-north-1", "c-north-2"));
        Host.AssertCourierInvariants();
        foreach (var r in responses) r.Dispose();
    }

    [Fact]
    public async Task NoCourierIsARefusalThatIsStoredAndRepeated()
    {
        using var first = await ScheduleAsync("o-west", "west");
        // A courier that turns up later does not change the stored answer.
        (await Host.Http.PutAsJsonAsync("/couriers/c-west-1", new { name = "West", zone = "west", capacity = 5 })).Dispose();
        using var repeat = await ScheduleAsync("o-west", "west");
        await Host.IdleAsync();

        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict), (first.StatusCode, repeat.StatusCode));
        Assert.Equal(("NoCourierAvailable", "NoCourierAvailable"), (await ReasonAsync(first), await ReasonAsync(repeat)));
        Assert.Equal(new DeliveryView("o-west", null, "west", DeliveryStatus.Failed, CancellationReason.NoCourierAvailable), await Host.DeliveryAsync("o-west"));
        var failed = Assert.Single(Host.PublishedFor(Topics.DeliveryFailed, "o-west"));
        Assert.Equal("Orchestration", (string?)failed["flow"]);
        Assert.Equal(0, (await Host.CourierAsync("c-west-1")).ActiveDeliveries);
    }

    [Fact]
    public async Task AFullZoneIsRefusedWithNoCourierAvailable()
    {
        (await ScheduleAsync("o-east-1", "east")).Dispose();

        using var response = await ScheduleAsync("o-east-2", "east");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("NoCourierAvailable", await ReasonAsync(response));
        Assert.Equal(1, await ActiveInAsync("c-east-1"));
    }

    [Fact]
    public async Task ScheduleResumesAnAssignmentInProgressAndAnswersItsOutcome()
    {
        // What a crash after the courier gave its slot, before the delivery recorded it, leaves.
        var asked = Delivery.Request(null, "o-crash", SagaFlow.Orchestration, "east")!.Ask("c-east-1", Host.Now)!;
        await Listing.StoreListedAsync(Host.AppDapr, Components.DeliveryStore, DeliveryDispatcher.KeyOf("o-crash"), asked, Host.Clock);
        await Host.AppDapr.UpdateAsync<Courier>(Components.DeliveryStore, CourierRoster.KeyOf("c-east-1"), c => c!.Take("o-crash", "east").Next);

        using var response = await ScheduleAsync("o-crash", "east");
        await Host.IdleAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new DeliveryView("o-crash", "c-east-1", "east", DeliveryStatus.Scheduled, null), await ViewAsync(response));
        Assert.Equal(1, await ActiveInAsync("c-east-1"));
        Assert.Equal("Orchestration", (string?)Assert.Single(Host.PublishedData(Topics.DeliveryScheduled))["flow"]);
    }

    [Fact]
    public async Task CancelFreesTheSlotAndAnnouncesItAndARepeatAnswersTheSame()
    {
        (await ScheduleAsync("o-1", "east")).Dispose();

        using var first = await CancelAsync("o-1");
        using var repeat = await CancelAsync("o-1");
        await Host.IdleAsync();

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, repeat.StatusCode));
        var expected = new DeliveryView("o-1", "c-east-1", "east", DeliveryStatus.Cancelled, null);
        Assert.Equal(expected, await ViewAsync(first));
        Assert.Equal(expected, await ViewAsync(repeat));
        var cancelled = Assert.Single(Host.PublishedData(Topics.DeliveryCancelled));
        Assert.Equal(("c-east-1", "Orchestration"), ((string?)cancelled["courierId"], (string?)cancelled["flow"]));
        Assert.Equal(0, await ActiveInAsync("c-east-1"));

        // The freed slot serves the next order; a late repeat of the first schedule takes nothing.
        using var next = await ScheduleAsync("o-2", "east");
        using var late = await ScheduleAsync("o-1", "east");
        Assert.Equal(DeliveryStatus.Scheduled, (await ViewAsync(next))?.Status);
        Assert.Equal((HttpStatusCode.OK, DeliveryStatus.Cancelled), (late.StatusCode, (await ViewAsync(late))?.Status));
        Assert.Equal(1, await ActiveInAsync("c-east-1"));
    }

    [Fact]
    public async Task CancelRecordsAReasonWhenOneIsGiven()
    {
        (await ScheduleAsync("o-1", "north")).Dispose();

        using var response = await Host.AsOrchestrator.PostAsJsonAsync("/deliveries/o-1/cancel", new { reason = "InsufficientCredit" });

        Assert.Equal(CancellationReason.InsufficientCredit, (await ViewAsync(response))?.Reason);
    }

    [Fact]
    public async Task CancelWithNoDeliveryLeavesATombstoneAndALateScheduleDoesNothing()
    {
        using var cancel = await CancelAsync("o-early");
        using var late = await ScheduleAsync("o-early", "east");
        await Host.IdleAsync();

        var tombstone = new DeliveryView("o-early", null, "", DeliveryStatus.Cancelled, null);
        Assert.Equal((HttpStatusCode.OK, tombstone), (cancel.StatusCode, await ViewAsync(cancel)));
        // The orchestrator only cancels while compensating, so a Cancelled 200 misleads nothing.
        Assert.Equal((HttpStatusCode.OK, tombstone), (late.StatusCode, await ViewAsync(late)));
        Assert.Equal(tombstone, await Host.DeliveryAsync("o-early"));
        Assert.Empty(Host.PublishedData(Topics.DeliveryScheduled));
        Assert.Empty(Host.PublishedData(Topics.DeliveryCancelled));
        Assert.Equal(0, await ActiveInAsync("c-east-1"));
    }

    [Fact]
    public async Task CancelNeverRefusesAndLeavesAFailedOrDeliveredDeliveryAsItIs()
    {
        (await ScheduleAsync("o-west", "west")).Dispose();
        (await ScheduleAsync("o-done", "east")).Dispose();
        (await Host.Http.PostAsync("/deliveries/o-done/delivered", null)).Dispose();

        using var failed = await CancelAsync("o-west");
        using var delivered = await CancelAsync("o-done");
        await Host.IdleAsync();

        Assert.Equal((HttpStatusCode.OK, DeliveryStatus.Failed), (failed.StatusCode, (await ViewAsync(failed))?.Status));
        Assert.Equal((HttpStatusCode.OK, DeliveryStatus.Delivered), (delivered.StatusCode, (await ViewAsync(delivered))?.Status));
        Assert.Empty(Host.PublishedData(Topics.DeliveryCancelled));
    }

    [Fact]
    public async Task CancelRacingScheduleNeverLeavesASlotTaken()
    {
        var orders = Enumerable.Range(0, 8).Select(i => $"o-mix-{i}").ToList();
        var responses = await Task.WhenAll(orders.SelectMany(o => new[] { ScheduleAsync(o, "north"), CancelAsync(o) }));
        await Host.IdleAsync();

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var order in orders) Assert.Equal(DeliveryStatus.Cancelled, (await Host.DeliveryAsync(order))?.Status);
        Assert.Equal(0, await ActiveInAsync("c-north-1", "c-north-2"));
        Assert.Equal(Host.PublishedData(Topics.DeliveryScheduled).Count, Host.PublishedData(Topics.DeliveryCancelled).Count);
        Host.AssertCourierInvariants();
        foreach (var r in responses) r.Dispose();
    }

    [Fact]
    public async Task OrchestratedDeliveriesAreLeftAloneByTheChoreographyReactions()
    {
        (await ScheduleAsync("o-orch", "east")).Dispose();

        // order-service publishes its facts for orchestrated orders too; they must change nothing here.
        await Host.SendAsync(new OrderCancelled("o-orch", SagaFlow.Orchestration, CancellationReason.CustomerCancelled, DateTimeOffset.UtcNow));
        await Host.ConfirmAsync("o-orch-2", "east", SagaFlow.Orchestration);
        await Host.IdleAsync();

        Assert.Equal(DeliveryStatus.Scheduled, (await Host.DeliveryAsync("o-orch"))?.Status);
        Assert.Null(await Host.DeliveryAsync("o-orch-2"));
        Assert.Empty(Host.PublishedData(Topics.DeliveryCancelled));
        Assert.Equal(1, await ActiveInAsync("c-east-1"));
        Assert.Equal((0, 0), (Host.Testbed.Redeliveries, Host.Testbed.DeadLettered));
    }

    [Fact]
    public async Task ChoreographyKeepsWorkingBesideOrchestratedDeliveries()
    {
        (await ScheduleAsync("o-orch", "north")).Dispose();
        await Host.ConfirmAsync("o-chor", "north");
        await Host.IdleAsync();
        await Host.CancelAsync("o-chor");
        await Host.IdleAsync();

        Assert.Equal(DeliveryStatus.Scheduled, (await Host.DeliveryAsync("o-orch"))?.Status);
        Assert.Equal(DeliveryStatus.Cancelled, (await Host.DeliveryAsync("o-chor"))?.Status);
        var flows = Host.PublishedData(Topics.DeliveryScheduled).ToDictionary(d => (string)d["orderId"]!, d => (string?)d["flow"]);
        Assert.Equal(new Dictionary<string, string?> { ["o-orch"] = "Orchestration", ["o-chor"] = "Choreography" }, flows);
        Assert.Equal(1, await ActiveInAsync("c-north-1", "c-north-2"));
    }

    public static TheoryData<string, string, string[]> BadSchedules => new()
    {
        { "o-1", """{"flow":"Orchestration"}""", ["zone"] },
        { "o-1", """{"zone":"","flow":"Orchestration"}""", ["zone"] },
        { "o-1", $$"""{"zone":"{{new string('z', 33)}}","flow":"Orchestration"}""", ["zone"] },
        { "o-1", """{"zone":"north"}""", ["flow"] },
        { "o-1", """{"zone":"north","flow":"Sideways"}""", ["flow"] },
        { "o-1", """{"zone":"north","flow":"1"}""", ["flow"] },
        { "a%7C%7Cb", """{"zone":"north","flow":"Orchestration"}""", ["orderId"] },
        { new string('o', 65), """{"zone":"north","flow":"Orchestration"}""", ["orderId"] },
        { "o-1", "", ["flow", "zone"] },
    };

    [Theory]
    [MemberData(nameof(BadSchedules))]
    public async Task ABadScheduleIsRefusedNamingTheFieldAndNothingIsStored(string orderId, string body, string[] fields)
    {
        using var response = await Host.AsOrchestrator.PostAsync($"/deliveries/{orderId}", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(fields, problem!["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(0, StoredDeliveries());
        Assert.Empty(Host.PublishedData(Topics.DeliveryFailed));
    }

    [Theory]
    [InlineData("o-1", """{"reason":"Bored"}""", "reason")]
    [InlineData("o-1", """{"reason":"3"}""", "reason")]
    [InlineData("a%7C%7Cb", "{}", "orderId")]
    public async Task ABadCancelIsRefusedNamingTheFieldAndNothingIsStored(string orderId, string body, string field)
    {
        using var response = await Host.AsOrchestrator.PostAsync($"/deliveries/{orderId}/cancel", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal([field], problem!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(0, StoredDeliveries());
    }

    [Fact]
    public async Task CancelWithoutABodyIsServed()
    {
        using var response = await Host.AsOrchestrator.PostAsync("/deliveries/o-1/cancel", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(DeliveryStatus.Cancelled, (await Host.DeliveryAsync("o-1"))?.Status);
    }

    [Theory]
    [InlineData("/deliveries/o-1", """{"zone":"north","flow":"Orchestration"}""")]
    [InlineData("/deliveries/o-1/cancel", "{}")]
    public async Task ACallerOtherThanTheOrchestratorIsForbiddenAndNothingChanges(string path, string body) =>
        await ForbiddenAsync(path, body, AppIds.OrderService);

    [Theory]
    [InlineData("/deliveries/o-1", """{"zone":"north","flow":"Orchestration"}""")]
    [InlineData("/deliveries/o-1/cancel", "{}")]
    public async Task ADirectCallWithoutTheCallerHeaderIsForbiddenAndNothingChanges(string path, string body) =>
        await ForbiddenAsync(path, body, caller: null);

    private async Task ForbiddenAsync(string path, string body, string? caller)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (caller is not null) request.Headers.Add(ParticipantCommands.CallerHeader, caller);

        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, StoredDeliveries());
    }

    [Fact]
    public async Task TheOrchestratorAsNamedCallerIsServed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/deliveries/o-1")
        {
            Content = JsonContent.Create(new { zone = "north", flow = "Orchestration" }),
        };
        request.Headers.Add("dapr-caller-app-id", AppIds.OrderProcessService);

        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TheOrchestratorsSidecarCanInvokeTheCommandsAndAnotherAppsCannot()
    {
        using var orchestrator = await Host.InvokerAsync(AppIds.OrderProcessService);
        using var orders = await Host.InvokerAsync(AppIds.OrderService);

        using var refused = await ScheduleAsync("o-1", "north", orders);
        using var refusedCancel = await CancelAsync("o-1", orders);
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (refused.StatusCode, refusedCancel.StatusCode));
        Assert.Equal(0, StoredDeliveries());

        using var scheduled = await ScheduleAsync("o-1", "north", orchestrator);
        using var noCourier = await ScheduleAsync("o-west", "west", orchestrator);
        using var cancelled = await CancelAsync("o-1", orchestrator);
        await Host.IdleAsync();

        Assert.Equal((HttpStatusCode.OK, DeliveryStatus.Scheduled), (scheduled.StatusCode, (await ViewAsync(scheduled))?.Status));
        Assert.Equal((HttpStatusCode.Conflict, "NoCourierAvailable"), (noCourier.StatusCode, await ReasonAsync(noCourier)));
        Assert.Equal((HttpStatusCode.OK, DeliveryStatus.Cancelled), (cancelled.StatusCode, (await ViewAsync(cancelled))?.Status));
        Assert.Equal(0, await ActiveInAsync("c-north-1", "c-north-2"));
    }

    [Fact]
    public async Task TheCommandsAreInSwaggerUnderParticipantCommands()
    {
        var swagger = await Host.Http.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json");
        var paths = swagger!["paths"]!.AsObject();

        foreach (var path in new[] { "/deliveries/{orderId}", "/deliveries/{orderId}/cancel" })
        {
            var tags = paths[path]!["post"]!["tags"]!.AsArray().Select(t => (string?)t);
            Assert.Equal(["Participant commands"], tags);
        }
    }
}
