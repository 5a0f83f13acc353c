using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;
using Microsoft.Extensions.Time.Testing;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>Dead letters: stored from the app's own dead-letter topic, listed, and replayed through its own handler.</summary>
public sealed class DeadLetterTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly string DeadLetterTopic = Topics.DeadLetters(AppIds.OrderService);

    private readonly FakeTimeProvider _clock = new(At);
    private int _handled;

    [Fact]
    public async Task TheDeadLetterSubscriptionDoesNotDeadLetterToItself()
    {
        await using var host = await StartAsync(_ => Task.FromResult(HandlerOutcome.Done));

        var subscription = Assert.Single(host.Sidecar.Subscriptions, s => s.Topic == DeadLetterTopic);

        Assert.Null(subscription.DeadLetterTopic);
    }

    [Fact]
    public async Task AMalformedEventIsStoredWithItsOriginalTopicIdAndData()
    {
        await using var host = await StartAndPublishUnreadableAsync(JsonDocument.Parse("{\"orderId\":\"o-1\"}").RootElement);

        var published = Assert.Single(host.Testbed.PubSub(Components.PubSub).Published(Topics.PaymentConfirmed));
        var stored = Assert.Single(await ListAsync(host, ""));
        Assert.Equal(0, _handled);
        Assert.Equal(published.Id, (string?)stored["id"]);
        Assert.Equal(Topics.PaymentConfirmed, (string?)stored["topic"]);
        Assert.Equal((string?)published.Envelope["type"], (string?)stored["type"]);
        Assert.Equal("o-1", (string?)stored["data"]!["orderId"]);
        Assert.Equal(At, stored["arrivedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(0, (int)stored["replayCount"]!);
    }

    [Fact]
    public async Task DeadLettersAreListedNewestFirstFilteredByTopicAndFoundById()
    {
        await using var host = await StartAsync(_ => Task.FromResult(HandlerOutcome.Done), also: b =>
            b.Handle<PaymentCancelled>(_ => Task.FromResult(HandlerOutcome.Drop)));
        await host.Dapr.PublishEventAsync(Components.PubSub, Topics.PaymentConfirmed, new { orderId = "o-older" });
        await host.Testbed.WaitForIdleAsync(Deadline);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await Publisher(host).PublishAsync(OutboxMessage.For(new PaymentCancelled("o-newer", SagaFlow.Choreography, CancellationReason.InsufficientCredit, At)), default);
        await host.Testbed.WaitForIdleAsync(Deadline);

        var all = await ListAsync(host, "");
        var cancelledOnly = await ListAsync(host, $"?topic={Topics.PaymentCancelled}");
        using var byId = await host.NewClient().GetAsync(new Uri($"/dead-letters/{all[1]["id"]}", UriKind.Relative));
        using var unknown = await host.NewClient().GetAsync(new Uri("/dead-letters/no-such-letter", UriKind.Relative));

        Assert.Equal([Topics.PaymentCancelled, Topics.PaymentConfirmed], all.Select(d => (string?)d["topic"]));
        Assert.Equal("payment-cancelled.v1", (string?)Assert.Single(cancelledOnly)["type"]);
        Assert.Equal("o-older", (string?)(await byId.Content.ReadFromJsonAsync<JsonObject>())!["data"]!["orderId"]);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task ReplayingRunsTheAppsOwnHandlerThatNowAcceptsAndRecordsIt()
    {
        // Drops the first delivery (say, its order was unknown then) and accepts from then on.
        var received = new List<PaymentConfirmed>();
        await using var host = await StartAsync(e =>
        {
            lock (received)
            {
                received.Add(e);
                return Task.FromResult(received.Count == 1 ? HandlerOutcome.Drop : HandlerOutcome.Done);
            }
        });
        var confirmed = new PaymentConfirmed("o-1", SagaFlow.Choreography, 20.5m, At);
        await Publisher(host).PublishAsync(OutboxMessage.For(confirmed), default);
        await host.Testbed.WaitForIdleAsync(Deadline);
        var id = (string)Assert.Single(await ListAsync(host, ""))["id"]!;
        _clock.Advance(TimeSpan.FromMinutes(5));

        using var replay = await host.NewClient().PostAsync(new Uri($"/dead-letters/{id}/replay", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        var replayed = (await replay.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(("Done", 1), ((string?)replayed["lastReplayOutcome"], (int)replayed["replayCount"]!));
        Assert.Equal(At.AddMinutes(5), replayed["lastReplayedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal([confirmed, confirmed], received);
        Assert.Equal("Done", (string?)(await GetAsync(host, id))["lastReplayOutcome"]);
        // Replayed in-process, never republished.
        Assert.Single(host.Testbed.PubSub(Components.PubSub).Published(Topics.PaymentConfirmed));
    }

    [Fact]
    public async Task ReplayingAStillPoisonEventAnswersConflictWithTheReason()
    {
        await using var host = await StartAndPublishUnreadableAsync(new { orderId = "o-1", flow = "Sideways" });
        var id = (string)Assert.Single(await ListAsync(host, ""))["id"]!;

        using var replay = await host.NewClient().PostAsync(new Uri($"/dead-letters/{id}/replay", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        var problem = (await replay.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains(Topics.PaymentConfirmed, (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal("Drop", (string?)problem["outcome"]);
        Assert.Equal(0, _handled);
        var recorded = await GetAsync(host, id);
        Assert.Equal(("Drop", 1), ((string?)recorded["lastReplayOutcome"], (int)recorded["replayCount"]!));
    }

    [Fact]
    public async Task ReplayingADeadLetterOfATopicThisAppDoesNotHandleIsRefusedAndAnUnknownIdIsNotFound()
    {
        await using var host = await StartAsync(_ => Task.FromResult(HandlerOutcome.Done));
        var store = host.Services.GetRequiredService<DeadLetterStore>();
        var foreign = JsonSerializer.SerializeToUtf8Bytes(new { id = "dl-foreign", topic = Topics.OrderPlaced, type = "order-placed.v1", data = new { orderId = "o-1" } });
        await store.AddAsync(DeadLetter.FromEnvelope(foreign, At), default);

        using var refused = await host.NewClient().PostAsync(new Uri("/dead-letters/dl-foreign/replay", UriKind.Relative), null);
        using var unknown = await host.NewClient().PostAsync(new Uri("/dead-letters/no-such-letter/replay", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains(Topics.OrderPlaced, (string?)(await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Empty(host.Testbed.PubSub(Components.PubSub).Published(Topics.OrderPlaced));
    }

    [Fact]
    public async Task ADeadLetterOverTheBodyCapIsRefusedBeforeItIsKeptInMemory()
    {
        await using var host = await StartAsync(_ => Task.FromResult(HandlerOutcome.Done));
        var huge = new string('x', RequestBodyLimit.MaxBytes + 1);
        using var body = new StringContent($"{{\"id\":\"big\",\"topic\":\"{Topics.PaymentConfirmed}\",\"data\":\"{huge}\"}}");
        body.Headers.ContentType = new("application/cloudevents+json");

        using var response = await host.NewClient().PostAsync(new Uri($"/events/{Topics.DeadLetters(AppIds.OrderService)}", UriKind.Relative), body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(await ListAsync(host, ""));
    }

    [Fact]
    public async Task ADuplicatedDeadLetterIsStoredOnceKeepingItsFirstArrival()
    {
        await using var host = await StartAsync(_ => Task.FromResult(HandlerOutcome.Drop));
        // The outbox may publish the same message twice (at-least-once): same CloudEvent id.
        var message = OutboxMessage.For(new PaymentConfirmed("o-1", SagaFlow.Choreography, 1m, At));
        await Publisher(host).PublishAsync(message, default);
        await host.Testbed.WaitForIdleAsync(Deadline);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await Publisher(host).PublishAsync(message, default);
        await host.Testbed.WaitForIdleAsync(Deadline);

        var stored = Assert.Single(await ListAsync(host, ""));

        Assert.Equal(2, host.Testbed.DeadLettered);
        Assert.Equal(message.Id, (string?)stored["id"]);
        Assert.Equal(At, stored["arrivedAt"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public void AnEnvelopeWithAnUnsafeIdOrNoneIsKeyedByAStableHash()
    {
        var unsafeId = JsonSerializer.SerializeToUtf8Bytes(new { id = "a||b/c", topic = Topics.PaymentConfirmed, data = 1 });
        var noId = JsonSerializer.SerializeToUtf8Bytes(new { topic = Topics.PaymentConfirmed, data = 1 });

        var first = DeadLetter.FromEnvelope(unsafeId, At);

        Assert.Equal(first.Id, DeadLetter.FromEnvelope(unsafeId, At.AddDays(1)).Id);
        Assert.True(DeadLetter.IsValidId(first.Id));
        Assert.StartsWith("sha-", DeadLetter.FromEnvelope(noId, At).Id, StringComparison.Ordinal);
        Assert.NotEqual(first.Id, DeadLetter.FromEnvelope(noId, At).Id);
    }

    private Task<TestHost> StartAsync(Func<PaymentConfirmed, Task<HandlerOutcome>> handle, Action<WebApplicationBuilder>? also = null) =>
        TestHost.StartAsync(
            _ => { },
            configure: builder =>
            {
                builder.Handle(handle);
                also?.Invoke(builder);
                builder.Services.AddSingleton<TimeProvider>(_clock);
            });

    /// <summary>
    /// Starts the app with a handler that counts its calls in <see cref="_handled"/>, then
    /// publishes <paramref name="data"/>, which is no PaymentConfirmed it can read, on that topic
    /// and waits until the delivery is over.
    /// </summary>
    private async Task<TestHost> StartAndPublishUnreadableAsync<TData>(TData data)
    {
        var host = await StartAsync(_ =>
        {
            Interlocked.Increment(ref _handled);
            return Task.FromResult(HandlerOutcome.Done);
        });
        await host.Dapr.PublishEventAsync(Components.PubSub, Topics.PaymentConfirmed, data);
        await host.Testbed.WaitForIdleAsync(Deadline);
        return host;
    }

    private static async Task<List<JsonObject>> ListAsync(TestHost host, string query) =>
        (await host.NewClient().GetFromJsonAsync<List<JsonObject>>(new Uri("/dead-letters" + query, UriKind.Relative)))!;

    private static async Task<JsonObject> GetAsync(TestHost host, string id) =>
        (await host.NewClient().GetFromJsonAsync<JsonObject>(new Uri($"/dead-letters/{id}", UriKind.Relative)))!;

    private static EventPublisher Publisher(TestHost host) => host.Services.GetRequiredService<EventPublisher>();
}
