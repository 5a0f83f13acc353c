using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>AddSubscription: subscription, dead-letter topic, flow filter, and what each outcome means to daprd.</summary>
public sealed class EventHandlerTests
{
    // These apps run on the system clock: an event must be newer than the retention window.
    private static readonly DateTimeOffset At = DateTimeOffset.UtcNow;

    [Fact]
    public async Task AHandlerSubscribesToItsTopicWithTheAppsDeadLetterTopic()
    {
        await using var host = await TestHost.StartAsync(_ => { }, configure: b => b.Handle<PaymentConfirmed>(_ => Task.FromResult(HandlerOutcome.Done)));

        var subscription = Assert.Single(host.Sidecar.Subscriptions, s => s.Topic == Topics.PaymentConfirmed);

        Assert.Equal((Topics.PaymentConfirmed, Topics.DeadLetters(AppIds.OrderService)), (subscription.Topic, subscription.DeadLetterTopic));
    }

    [Fact]
    public async Task AnEventIsHandedOverTypedAndAcknowledged()
    {
        var received = new List<PaymentConfirmed>();
        await using var host = await TestHost.StartAsync(_ => { }, configure: b => b.Handle<PaymentConfirmed>(e =>
        {
            lock (received) received.Add(e);
            return Task.FromResult(HandlerOutcome.Done);
        }));

        await Publisher(host).PublishAsync(OutboxMessage.For(new PaymentConfirmed("o-1", SagaFlow.Choreography, 20.5m, At)), default);
        await host.Testbed.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([new PaymentConfirmed("o-1", SagaFlow.Choreography, 20.5m, At)], received);
        Assert.Equal(0, host.Testbed.Redeliveries);
    }

    [Fact]
    public async Task AnEventPublishedThroughTheOutboxCarriesItsTypeIdAndPartitionKey()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        var message = OutboxMessage.For(new OrderPlaced("o-9", SagaFlow.Choreography, "alice", [new OrderLine("widget", 2, 10m)], 20m, "north", true, At));

        await Publisher(host).PublishAsync(message, default);

        var published = Assert.Single(host.Testbed.PubSub(Components.PubSub).Published(Topics.OrderPlaced));
        Assert.Equal(("order-placed.v1", message.Id), ((string?)published.Envelope["type"], published.Id));
        Assert.Equal("Choreography", (string?)published.Envelope["data"]!["flow"]);
        Assert.Equal("widget", (string?)published.Envelope["data"]!["items"]![0]!["productId"]);
    }

    [Fact]
    public async Task ARetryOutcomeOrAnExceptionIsDeliveredAgain()
    {
        var calls = 0;
        await using var host = await TestHost.StartAsync(_ => { }, configure: b => b.Handle<PaymentConfirmed>(_ =>
            Interlocked.Increment(ref calls) switch
            {
                1 => Task.FromResult(HandlerOutcome.Retry),
                2 => throw new InvalidOperationException("transient"),
                _ => Task.FromResult(HandlerOutcome.Done),
            }));

        await Publisher(host).PublishAsync(OutboxMessage.For(new PaymentConfirmed("o-1", SagaFlow.Choreography, 1m, At)), default);
        await host.Testbed.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(3, calls);
        Assert.Equal(0, host.Testbed.DeadLettered);
    }

    [Theory]
    [InlineData("{\"orderId\":\"o-1\",\"flow\":\"Choreography\"}")]                                        // amount and occurredAt missing
    [InlineData("{\"orderId\":\"\",\"flow\":\"Choreography\",\"amount\":1,\"occurredAt\":\"2026-11-23T09:00:00Z\"}")]
    [InlineData("{\"orderId\":\"o-1\",\"flow\":\"Sideways\",\"amount\":1,\"occurredAt\":\"2026-11-23T09:00:00Z\"}")]
    [InlineData("[1,2,3]")]
    public async Task AMalformedEventIsDroppedToTheDeadLetterTopicWithoutReachingTheHandler(string data)
    {
        var calls = 0;
        await using var host = await TestHost.StartAsync(_ => { }, configure: b => b.Handle<PaymentConfirmed>(_ =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(HandlerOutcome.Done);
        }));

        await host.Dapr.PublishEventAsync(Components.PubSub, Topics.PaymentConfirmed, System.Text.Json.JsonDocument.Parse(data).RootElement);
        await host.Testbed.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, calls);
        Assert.Single(host.Testbed.PubSub(Components.PubSub).Published(Topics.DeadLetters(AppIds.OrderService)));
    }

    [Fact]
    public async Task AnEventOfTheOtherFlowIsAcknowledgedWithoutReachingTheHandler()
    {
        var received = new List<string>();
        await using var host = await TestHost.StartAsync(_ => { }, configure: b => b.Handle<PaymentConfirmed>(e =>
        {
            lock (received) received.Add(e.OrderId);
            return Task.FromResult(HandlerOutcome.Done);
        }, SagaFlow.Choreography));

        await Publisher(host).PublishAsync(OutboxMessage.For(new PaymentConfirmed("o-orchestrated", SagaFlow.Orchestration, 1m, At)), default);
        await Publisher(host).PublishAsync(OutboxMessage.For(new PaymentConfirmed("o-choreographed", SagaFlow.Choreography, 1m, At)), default);
        await host.Testbed.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["o-choreographed"], received);
        Assert.Equal((0, 0), (host.Testbed.Redeliveries, host.Testbed.DeadLettered));
    }

    [Fact]
    public async Task TwoHandlersForOneTopicAreRefusedAtStart()
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => TestHost.StartAsync(_ => { }, configure: b => b
            .Handle<PaymentConfirmed>(_ => Task.FromResult(HandlerOutcome.Done))
            .Handle<PaymentConfirmed>(_ => Task.FromResult(HandlerOutcome.Done))));

        Assert.Contains(Topics.PaymentConfirmed, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePassesOfOneBindingRunInOrderOnEachTickAndReportWhatTheyHandled()
    {
        var ran = new List<string>();
        await using var host = await TestHost.StartAsync(_ => { }, configure: b =>
        {
            b.Services.AddSingleton(new FirstPass(ran));
            b.Services.AddSingleton(new SecondPass(ran));
            b.Services.AddScheduledPass<FirstPass>("tick");
            b.Services.AddScheduledPass<SecondPass>("tick");
        }, sidecarOptions: o => o with { Bindings = ["tick"] });

        Assert.Equal(System.Net.HttpStatusCode.OK, await host.Sidecar.TriggerBindingAsync("tick"));
        using var client = host.NewClient();
        using var response = await client.PostAsync(new Uri("/tick", UriKind.Relative), null);
        var report = await response.Content.ReadFromJsonAsync<ScheduledPassReport>(ServiceDefaultsExtensions.JsonOptions);

        Assert.Equal(["first", "second", "first", "second"], ran);
        Assert.Equal(new ScheduledPassReport("tick", 3), report);
    }

    private sealed class FirstPass(List<string> ran) : IScheduledPass
    {
        public Task<int> RunAsync(CancellationToken cancellationToken)
        {
            ran.Add("first");
            return Task.FromResult(1);
        }
    }

    private sealed class SecondPass(List<string> ran) : IScheduledPass
    {
        public Task<int> RunAsync(CancellationToken cancellationToken)
        {
            ran.Add("second");
            return Task.FromResult(2);
        }
    }

    private static EventPublisher Publisher(TestHost host) => host.Services.GetRequiredService<EventPublisher>();
}
