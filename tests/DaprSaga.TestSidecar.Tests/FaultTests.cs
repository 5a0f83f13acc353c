using Dapr;
using Dapr.Client;
using Grpc.Core;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>
/// Seeded fault injection: each <see cref="FaultKind"/> does what real brokers and sidecars do,
/// and the same seed replays the same decisions.
/// </summary>
public sealed class FaultTests
{
    private const string PubSub = "pubsub";
    private const string Topic = "topic";
    private const string Route = "route";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    public sealed record Message(string Id);

    private static Task<TestApp> StartSubscriberAsync(Testbed testbed, string appId, Func<int, IResult>? answer = null) =>
        TestApp.StartAsync(testbed, new SidecarOptions(appId) { PubSubs = [PubSub] },
            app => app.MapPost("/route", TestApp.Recording(Route, answer)).WithTopic(PubSub, Topic));

    private static Testbed NewTestbed(FaultPlan plan)
    {
        var testbed = new Testbed(plan);
        testbed.PubSub(PubSub);
        return testbed;
    }

    private static string? IdOf(Received received) => (string?)received.Envelope?["id"];

    private static string? PayloadIdOf(Received received) => (string?)received.Body?["id"];

    private static StatusCode CodeOf(DaprException e) => Assert.IsType<RpcException>(e.InnerException).StatusCode;

    [Fact]
    public async Task DuplicateDeliveryHandsOnePublishToTheHandlerTwiceWithTheSameId()
    {
        var plan = new FaultPlan(1).With(FaultKind.DuplicateDelivery, 1.0);
        await using var testbed = NewTestbed(plan);
        await using var app = await StartSubscriberAsync(testbed, "dup-app");

        await app.Dapr.PublishEventAsync(PubSub, Topic, new Message("m-1"));
        await app.Recorder.WaitForAsync(r => r.Count >= 2, Deadline);
        await testbed.WaitForIdleAsync(Deadline);

        var received = app.Recorder.At(Route);
        Assert.Equal(2, received.Count);
        Assert.Single(testbed.PubSub(PubSub).Published(Topic));
        Assert.NotNull(IdOf(received[0]));
        Assert.Equal(IdOf(received[0]), IdOf(received[1]));
        Assert.All(received, r => Assert.Equal("m-1", PayloadIdOf(r)));
        Assert.Equal(1, plan.Injected[FaultKind.DuplicateDelivery]);
    }

    [Fact]
    public async Task LostAckRedeliversAMessageTheHandlerAlreadyProcessed()
    {
        var plan = new FaultPlan(2).With(FaultKind.LostAck, 1.0);
        await using var testbed = NewTestbed(plan);
        // The first answer is lost; on the second delivery the fault is switched off so it sticks.
        await using var app = await StartSubscriberAsync(testbed, "ack-app", n =>
        {
            if (n >= 2) plan.With(FaultKind.LostAck, 0);
            return Results.Ok();
        });

        await app.Dapr.PublishEventAsync(PubSub, Topic, new Message("m-1"));
        await app.Recorder.WaitForAsync(r => r.Count >= 2, Deadline);
        await testbed.WaitForIdleAsync(Deadline);

        var received = app.Recorder.At(Route);
        Assert.Equal(2, received.Count);
        Assert.Equal(IdOf(received[0]), IdOf(received[1]));
        Assert.Equal(1, plan.Injected[FaultKind.LostAck]);
        Assert.Equal(1, testbed.Redeliveries);
    }

    [Fact]
    public async Task FailBeforeDeliveryRetriesUntilTheHandlerIsReachedOnce()
    {
        // A seed whose first two rolls fail the delivery and whose third lets it through.
        var plan = FaultPlans.StartingWith(FaultKind.FailBeforeDelivery, 0.5, true, true, false);
        await using var testbed = NewTestbed(plan);
        await using var app = await StartSubscriberAsync(testbed, "fail-app");

        await app.Dapr.PublishEventAsync(PubSub, Topic, new Message("m-1"));
        await app.Recorder.WaitForAsync(r => r.Count >= 1, Deadline);
        await testbed.WaitForIdleAsync(Deadline);

        var received = Assert.Single(app.Recorder.At(Route));
        Assert.Equal("m-1", PayloadIdOf(received));
        Assert.Equal(2, plan.Injected[FaultKind.FailBeforeDelivery]);
        Assert.Equal(2, testbed.Redeliveries);
        Assert.Equal(1, app.Sidecar.Calls[SidecarCallKind.Delivery]);
    }

    [Fact]
    public async Task AStateErrorThrowsUnavailableAndStoresNothing()
    {
        var plan = new FaultPlan(3).With(FaultKind.StateError, 1.0);
        await using var testbed = new Testbed(plan);
        await using var app = await TestApp.StartAsync(testbed, new SidecarOptions("state-app") { StateStores = ["store"] }, _ => { });

        var save = await Assert.ThrowsAsync<DaprException>(() => app.Dapr.SaveStateAsync("store", "k", new Message("m-1")));
        var get = await Assert.ThrowsAsync<DaprException>(() => app.Dapr.GetStateAsync<Message>("store", "k"));
        var transaction = await Assert.ThrowsAsync<DaprException>(() => app.Dapr.ExecuteStateTransactionAsync("store",
            [new StateTransactionRequest("k", "{}"u8.ToArray(), StateOperationType.Upsert)]));

        Assert.Equal(StatusCode.Unavailable, CodeOf(save));
        Assert.Equal(StatusCode.Unavailable, CodeOf(get));
        Assert.Equal(StatusCode.Unavailable, CodeOf(transaction));
        Assert.Empty(testbed.StateStore("store").Snapshot());
        Assert.Equal(3, plan.Injected[FaultKind.StateError]);
    }

    [Fact]
    public async Task APublishErrorThrowsUnavailableAndPublishesNothing()
    {
        var plan = new FaultPlan(4).With(FaultKind.PublishError, 1.0);
        await using var testbed = NewTestbed(plan);
        await using var app = await StartSubscriberAsync(testbed, "pub-app");

        var e = await Assert.ThrowsAsync<DaprException>(() => app.Dapr.PublishEventAsync(PubSub, Topic, new Message("m-1")));
        await testbed.WaitForIdleAsync(Deadline);

        Assert.Equal(StatusCode.Unavailable, CodeOf(e));
        Assert.Empty(testbed.PubSub(PubSub).Published(Topic));
        Assert.Empty(app.Recorder.All);
    }

    [Fact]
    public async Task ALostInvocationResponseRunsTheTargetButTheCallerGets500()
    {
        var plan = new FaultPlan(5).With(FaultKind.LostInvocationResponse, 1.0);
        await using var testbed = new Testbed(plan);
        await using var target = await TestApp.StartAsync(testbed, new SidecarOptions("target-app"),
            app => app.MapPost("/charge", TestApp.Recording("charge")));
        await using var caller = await TestApp.StartAsync(testbed, new SidecarOptions("caller-app"), _ => { });
        using var client = caller.Dapr.CreateInvokableHttpClient("target-app");

        using var response = await client.PostAsJsonAsync(new Uri("/charge", UriKind.Relative), new Message("pay-1"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = Assert.IsType<JsonObject>(JsonNode.Parse(await response.Content.ReadAsStringAsync()));
        Assert.Equal("ERR_DIRECT_INVOKE", (string?)error["errorCode"]);
        var charged = Assert.Single(target.Recorder.At("charge"));
        Assert.Equal("pay-1", PayloadIdOf(charged));
    }

    [Fact]
    public async Task DelayedMessagesAreAllStillDeliveredOnce()
    {
        var plan = new FaultPlan(6).With(FaultKind.DelayDelivery, 1.0);
        plan.MaxDelay = TimeSpan.FromMilliseconds(20);

        var ids = await PublishAndAssertEachDeliveredOnceAsync(plan, "delay-app");

        Assert.Equal(ids.Count, plan.Injected[FaultKind.DelayDelivery]);
    }

    [Fact]
    public async Task ReorderedMessagesAreAllStillDeliveredOnce()
    {
        var plan = new FaultPlan(7).With(FaultKind.ReorderDelivery, 0.5);
        plan.MaxDelay = TimeSpan.FromMilliseconds(20);

        var ids = await PublishAndAssertEachDeliveredOnceAsync(plan, "reorder-app");

        Assert.InRange(plan.Injected.GetValueOrDefault(FaultKind.ReorderDelivery), 1, ids.Count - 1);
    }

    /// <summary>Publishes twenty messages to a subscriber under <paramref name="plan"/>, checks each arrives once in any order, and returns their ids.</summary>
    private static async Task<IReadOnlyList<string>> PublishAndAssertEachDeliveredOnceAsync(FaultPlan plan, string appId)
    {
        await using var testbed = NewTestbed(plan);
        await using var app = await StartSubscriberAsync(testbed, appId);
        var ids = Enumerable.Range(1, 20).Select(i => $"m-{i}").ToList();

        foreach (var id in ids) await app.Dapr.PublishEventAsync(PubSub, Topic, new Message(id));
        await app.Recorder.WaitForAsync(r => r.Count >= ids.Count, Deadline);
        await testbed.WaitForIdleAsync(Deadline);

        Assert.Equal(ids.Order(StringComparer.Ordinal), app.Recorder.At(Route).Select(PayloadIdOf).Order(StringComparer.Ordinal));
        return ids;
    }

    [Fact]
    public async Task MessagesPublishedWhileTheAppIsDownAreDeliveredAfterItRestarts()
    {
        await using var testbed = NewTestbed(FaultPlan.None);
        await using var subscriber = await StartSubscriberAsync(testbed, "sub-app");
        await using var publisher = await TestApp.StartAsync(testbed, new SidecarOptions("pub-app") { PubSubs = [PubSub] }, _ => { });

        await subscriber.StopAppAsync();
        foreach (var id in new[] { "m-1", "m-2", "m-3" }) await publisher.Dapr.PublishEventAsync(PubSub, Topic, new Message(id));
        Assert.Empty(subscriber.Recorder.All);
        await subscriber.StartAppAsync();
        await subscriber.Recorder.WaitForAsync(r => r.Count >= 3, Deadline);
        await testbed.WaitForIdleAsync(Deadline);

        Assert.Equal(["m-1", "m-2", "m-3"], subscriber.Recorder.At(Route).Select(PayloadIdOf).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheSameSeedGivesTheSameDecisions()
    {
        Assert.Equal(Decisions(42), Decisions(42));
    }

    [Fact]
    public void DifferentSeedsGiveDifferentDecisions()
    {
        Assert.NotEqual(Decisions(42), Decisions(43));
    }

    [Fact]
    public void ProbabilityZeroNeverInjectsAndOneAlwaysDoes()
    {
        var plan = new FaultPlan(8).With(FaultKind.LostAck, 0).With(FaultKind.DuplicateDelivery, 1.0);

        for (var i = 0; i < 100; i++)
        {
            Assert.False(plan.Roll(FaultKind.LostAck));
            Assert.True(plan.Roll(FaultKind.DuplicateDelivery));
            Assert.False(plan.Roll(FaultKind.StateError));
        }

        Assert.Equal(new Dictionary<FaultKind, long> { [FaultKind.DuplicateDelivery] = 100 }, plan.Injected);
    }

    /// <summary>A mixed sequence of rolls and delays, as the sidecars draw them.</summary>
    private static List<string> Decisions(int seed)
    {
        var plan = new FaultPlan(seed)
            .With(FaultKind.DuplicateDelivery, 0.5)
            .With(FaultKind.LostAck, 0.3)
            .With(FaultKind.DelayDelivery, 0.7);
        var kinds = new[] { FaultKind.DuplicateDelivery, FaultKind.LostAck, FaultKind.DelayDelivery, FaultKind.StateError };
        var decisions = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var kind = kinds[i % kinds.Length];
            decisions.Add($"{kind}:{plan.Roll(kind)}");
            if (i % 10 == 0) decisions.Add($"delay:{plan.NextDelay().Ticks}");
        }
        return decisions;
    }
}
