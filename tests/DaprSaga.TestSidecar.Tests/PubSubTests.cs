using System.Diagnostics;
using Dapr;
using Grpc.Core;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>Publish, subscription discovery, CloudEvent delivery and the meaning of the app's answer.</summary>
public sealed class PubSubTests : IAsyncDisposable
{
    private const string PubSub = "pubsub";
    private readonly Testbed _testbed = new();
    private readonly List<TestApp> _apps = [];

    public record Placed(string OrderId, decimal Total);

    private async Task<TestApp> StartAsync(string appId, Action<WebApplication> map)
    {
        var app = await TestApp.StartAsync(_testbed, new SidecarOptions(appId) { PubSubs = [PubSub] }, map);
        _apps.Add(app);
        return app;
    }

    private static TopicOptions Topic(string name, string? deadLetter = null, string? match = null) =>
        new() { PubsubName = PubSub, Name = name, DeadLetterTopic = deadLetter!, Match = match! };

    /// <summary>
    /// Starts sub-app, its handler on topic "t" answering with <paramref name="answer"/> (given
    /// which delivery this is), and with <paramref name="deadLetters"/> its dead-letter topic
    /// recorded at "dead"; then publishes one message and waits until every delivery is over.
    /// </summary>
    private async Task<TestApp> DeliverOneAsync(Func<int, IResult> answer, bool deadLetters = false, int idleSeconds = 10)
    {
        var app = await StartAsync("sub-app", a =>
        {
            var handler = a.MapPost("/h", TestApp.Recording("h", answer));
            if (deadLetters)
            {
                handler.WithTopic(Topic("t", deadLetter: "dead-letters.sub-app"));
                a.MapPost("/dead", TestApp.Recording("dead")).WithTopic(PubSub, "dead-letters.sub-app");
            }
            else
            {
                handler.WithTopic(PubSub, "t");
            }
        });
        await app.Dapr.PublishEventAsync(PubSub, "t", new Placed("a", 1));
        await _testbed.WaitForIdleAsync(TimeSpan.FromSeconds(idleSeconds));
        return app;
    }

    [Fact]
    public async Task TheSidecarReadsTheSubscriptionsTheAppDeclares()
    {
        var app = await StartAsync("sub-app", a =>
            a.MapPost("/placed", TestApp.Recording("placed")).WithTopic(Topic("placed", deadLetter: "dead-letters.sub-app")));

        // Beside the app's own dead-letter subscription, which ServiceDefaults always maps.
        var subscription = Assert.Single(app.Sidecar.Subscriptions, s => s.Topic == "placed");

        Assert.Equal(("placed", "/placed", "dead-letters.sub-app"), (subscription.Topic, subscription.Path, subscription.DeadLetterTopic));
    }

    [Fact]
    public async Task ASubscriptionWithRoutingRulesIsRefusedWhenTheSubscriptionsLoad()
    {
        var sidecar = await _testbed.StartSidecarAsync(new SidecarOptions("rules-app") { PubSubs = [PubSub] });
        await using var app = WebApplication.Create();
        app.Urls.Add("http://127.0.0.1:0");
        app.MapPost("/placed", () => Results.Ok()).WithTopic(PubSub, "placed");
        app.MapPost("/v2", () => Results.Ok()).WithTopic(Topic("placed", match: "event.type == \"placed.v2\""));
        app.MapSubscribeHandler();
        await app.StartAsync();

        var refused = await Assert.ThrowsAsync<NotSupportedException>(() => sidecar.AttachAppAsync(new Uri(app.Urls.Single())));

        Assert.Contains("routing rules are not modelled by the test sidecar", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RoutesDefaultWinsOverRoute()
    {
        var subscription = Assert.Single(TestSidecar.PubSub.Subscription.ParseList("""
            [{"pubsubname":"pubsub","topic":"placed","route":"/old","routes":{"default":"/new"}}]
            """));

        Assert.Equal("/new", subscription.Path);
    }

    [Fact]
    public async Task GrpcMetadataNamesTheAppAndItsComponents()
    {
        var app = await StartAsync("sub-app", a =>
            a.MapPost("/placed", TestApp.Recording("placed")).WithTopic(Topic("placed", deadLetter: "dead-letters.sub-app")));

        var metadata = await app.Dapr.GetMetadataAsync();

        Assert.Equal("sub-app", metadata.Id);
        Assert.Equal([(PubSub, "pubsub.redis")], metadata.Components.Select(c => (c.Name, c.Type)));
    }

    [Fact]
    public async Task ADeliveryCarriesTheDaprCloudEventEnvelopeAndHeaders()
    {
        var subscriber = await StartAsync("sub-app", a => a.MapPost("/placed", TestApp.Recording("placed")).WithTopic(PubSub, "placed"));
        var publisher = await StartAsync("pub-app", _ => { });

        using var activity = new Activity("publish").SetIdFormat(ActivityIdFormat.W3C);
        activity.ActivityTraceFlags = ActivityTraceFlags.Recorded; // a sampled caller, as a traced app would be
        activity.Start();
        await publisher.Dapr.PublishEventAsync(PubSub, "placed", new Placed("o-1", 20m),
            new Dictionary<string, string> { ["cloudevent.type"] = "placed.v1", ["partitionKey"] = "o-1" });
        var received = (await subscriber.Recorder.WaitForAsync(r => r.Count == 1)).Single();

        var e = received.Envelope!;
        Assert.Equal("application/cloudevents+json", received.ContentType.Split(';')[0]);
        Assert.True(Guid.TryParse((string?)e["id"], out _));
        Assert.Equal("pub-app", (string?)e["source"]);
        Assert.Equal("placed.v1", (string?)e["type"]);
        Assert.Equal("1.0", (string?)e["specversion"]);
        Assert.Equal("application/json", (string?)e["datacontenttype"]);
        Assert.Equal("placed", (string?)e["topic"]);
        Assert.Equal(PubSub, (string?)e["pubsubname"]);
        Assert.Equal((string?)e["traceid"], (string?)e["traceparent"]);
        Assert.Contains(activity.TraceId.ToHexString(), (string?)e["traceparent"], StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse((string?)e["time"], out _));
        Assert.Equal("o-1", (string?)e["data"]!["orderId"]);
        Assert.Equal(PubSub, received.Headers["pubsubname"]);
        Assert.Equal((string?)e["traceparent"], received.Headers["traceparent"]);
        // UseCloudEvents hands the handler the data alone.
        Assert.Equal(20m, (decimal)received.Body!["total"]!);
    }

    [Theory]
    [InlineData("", 200)]
    [InlineData("{\"status\":\"SUCCESS\"}", 200)]
    [InlineData("{}", 200)]
    [InlineData("not json", 200)]
    [InlineData("[1,2]", 202)]
    public async Task An2xxAnswerWithoutARetryOrDropStatusAcknowledgesTheMessage(string body, int status)
    {
        var app = await DeliverOneAsync(_ => Results.Text(body, "application/json", statusCode: status));

        Assert.Single(app.Recorder.At("h"));
        Assert.Equal(0, _testbed.Redeliveries);
    }

    [Theory]
    [InlineData("{\"status\":\"RETRY\"}", 200)]
    [InlineData("{\"status\":\"Pending\"}", 200)] // an echoed domain object is an unknown status: retried
    [InlineData("{\"status\":\"retry\"}", 200)] // statuses are case-sensitive
    [InlineData("", 500)]
    [InlineData("", 409)]
    [InlineData("", 400)]
    public async Task ARetryStatusAnUnknownStatusOrAnErrorCodeIsRedelivered(string body, int status)
    {
        var app = await DeliverOneAsync(n => n == 1 ? Results.Text(body, "application/json", statusCode: status) : Results.Ok());

        var deliveries = app.Recorder.At("h");
        Assert.Equal(2, deliveries.Count);
        Assert.Equal((string?)deliveries[0].Envelope!["id"], (string?)deliveries[1].Envelope!["id"]);
    }

    /// <summary>
    /// daprd retries whatever error the app channel returns (postman/http `Deliver`: err → NewRetriable). The app
    /// ran the handler, then the call failed as an in-memory TestServer fails it: an aborted request throws an
    /// exception that is no HttpRequestException, a host disposed mid-request an OperationCanceledException.
    /// </summary>
    [Theory]
    [InlineData("aborted")]
    [InlineData("cancelled")]
    public async Task ADeliveryWhoseCallFailsAfterTheHandlerRanIsDeliveredAgain(string failure)
    {
        var app = await StartAsync("sub-app", a => a.MapPost("/h", TestApp.Recording("h")).WithTopic(PubSub, "t"));
        var calls = 0;
        await app.Sidecar.AttachAppAsync(new HttpClient(new FailingAfter(async (request, send) =>
        {
            var response = await send(request);
            if (request.RequestUri!.AbsolutePath != "/h" || Interlocked.Increment(ref calls) > 1) return response;
            throw failure == "aborted" ? new InvalidOperationException("The application aborted the request.") : new OperationCanceledException();
        }))
        { BaseAddress = app.Address });

        await app.Dapr.PublishEventAsync(PubSub, "t", new Placed("a", 1));
        await _testbed.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, app.Recorder.At("h").Count);
        Assert.Equal((0, 1), (_testbed.Dropped, _testbed.Redeliveries));
    }

    private sealed class FailingAfter(Func<HttpRequestMessage, Func<HttpRequestMessage, Task<HttpResponseMessage>>, Task<HttpResponseMessage>> call)
        : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            call(request, r => base.SendAsync(r, cancellationToken));
    }

    [Theory]
    [InlineData("{\"status\":\"DROP\"}", 200)]
    [InlineData("", 404)]
    public async Task ADropOr404IsNotRetriedAndGoesToTheDeadLetterTopicUnchanged(string body, int status)
    {
        var app = await DeliverOneAsync(_ => Results.Text(body, "application/json", statusCode: status), deadLetters: true);

        var original = Assert.Single(app.Recorder.At("h"));
        var dead = Assert.Single(app.Recorder.At("dead"));
        Assert.Equal(original.Envelope!.ToJsonString(), dead.Envelope!.ToJsonString());
        Assert.Equal("t", (string?)dead.Envelope!["topic"]);
        Assert.Equal(1, _testbed.DeadLettered);
    }

    [Fact]
    public async Task ADropWithoutADeadLetterTopicIsDiscarded()
    {
        var app = await DeliverOneAsync(_ => Results.NotFound());

        Assert.Single(app.Recorder.At("h"));
        Assert.Equal(1, _testbed.Dropped);
    }

    [Fact]
    public async Task AMessageFailingEveryRetryGoesToTheDeadLetterTopic()
    {
        var app = await DeliverOneAsync(_ => Results.StatusCode(500), deadLetters: true, idleSeconds: 20);

        Assert.Equal(1 + _testbed.Delivery.MaxRetries, app.Recorder.At("h").Count);
        Assert.Single(app.Recorder.At("dead"));
    }

    [Fact]
    public async Task AMessageFailingEveryRetryWithoutADeadLetterTopicIsAckedAndLost()
    {
        var app = await DeliverOneAsync(_ => Results.StatusCode(503), idleSeconds: 20);

        Assert.Equal(1 + _testbed.Delivery.MaxRetries, app.Recorder.At("h").Count);
        Assert.Equal((0, 1), (_testbed.DeadLettered, _testbed.Dropped));
    }

    [Fact]
    public async Task ADeadLetterTopicOutOfThePublishingScopeLosesTheMessage()
    {
        _testbed.PubSub(PubSub, new Dictionary<string, string> { ["publishingScopes"] = "sub-app=other" });
        var app = await StartAsync("sub-app", a => a.MapPost("/h", TestApp.Recording("h", _ => Results.NotFound()))
            .WithTopic(Topic("t", deadLetter: "dead-letters.sub-app")));

        var publisher = await StartAsync("pub-app", _ => { });

        await publisher.Dapr.PublishEventAsync(PubSub, "t", new Placed("a", 1));
        await _testbed.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        Assert.Single(app.Recorder.At("h"));
        Assert.Empty(_testbed.PubSub(PubSub).Published("dead-letters.sub-app"));
        Assert.Equal((0, 1), (_testbed.DeadLettered, _testbed.Dropped));
    }

    [Fact]
    public async Task AnAppOutOfItsPublishingScopeIsRefusedWithPermissionDenied()
    {
        _testbed.PubSub(PubSub, new Dictionary<string, string> { ["publishingScopes"] = "pub-app=allowed;other=t" });
        var app = await StartAsync("pub-app", _ => { });

        await app.Dapr.PublishEventAsync(PubSub, "allowed", new Placed("a", 1));
        var e = await Assert.ThrowsAsync<DaprException>(() => app.Dapr.PublishEventAsync(PubSub, "t", new Placed("a", 1)));

        Assert.Equal(StatusCode.PermissionDenied, Assert.IsType<RpcException>(e.InnerException).StatusCode);
        Assert.Equal(["allowed"], _testbed.PubSub(PubSub).Published("allowed").Select(c => c.Topic));
        Assert.Empty(_testbed.PubSub(PubSub).Published("t"));
    }

    [Fact]
    public async Task ASubscriptionOutOfTheAppsSubscriptionScopeIsSkipped()
    {
        _testbed.PubSub(PubSub, new Dictionary<string, string> { ["subscriptionScopes"] = "sub-app=mine" });
        var app = await StartAsync("sub-app", a =>
        {
            a.MapPost("/mine", TestApp.Recording("mine")).WithTopic(PubSub, "mine");
            a.MapPost("/theirs", TestApp.Recording("theirs")).WithTopic(PubSub, "theirs");
        });

        Assert.Equal(["mine"], app.Sidecar.Subscriptions.Select(s => s.Topic));
    }

    [Fact]
    public async Task AnUnknownPubSubIsInvalidArgument()
    {
        var app = await StartAsync("pub-app", _ => { });

        var e = await Assert.ThrowsAsync<DaprException>(() => app.Dapr.PublishEventAsync("nope", "t", new Placed("a", 1)));

        Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(e.InnerException).StatusCode);
    }

    [Fact]
    public async Task AnAppThatSubscribesLateStillGetsWhatWasPublishedBefore()
    {
        var publisher = await StartAsync("pub-app", _ => { });
        await publisher.Dapr.PublishEventAsync(PubSub, "t", new Placed("early", 1));

        var subscriber = await StartAsync("sub-app", a => a.MapPost("/h", TestApp.Recording("h")).WithTopic(PubSub, "t"));
        await subscriber.Recorder.WaitForAsync(r => r.Count == 1);

        Assert.Equal("early", (string)subscriber.Recorder.At("h")[0].Body!["orderId"]!);
    }

    [Fact]
    public async Task EverySubscribedAppGetsEveryMessage()
    {
        var first = await StartAsync("first", a => a.MapPost("/h", TestApp.Recording("h")).WithTopic(PubSub, "t"));
        var second = await StartAsync("second", a => a.MapPost("/h", TestApp.Recording("h")).WithTopic(PubSub, "t"));

        for (var i = 0; i < 5; i++) await first.Dapr.PublishEventAsync(PubSub, "t", new Placed($"o-{i}", i));
        await _testbed.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(5, first.Recorder.At("h").Count);
        Assert.Equal(5, second.Recorder.At("h").Count);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        await _testbed.DisposeAsync();
    }
}
