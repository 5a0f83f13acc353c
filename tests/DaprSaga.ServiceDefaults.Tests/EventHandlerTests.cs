using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>MapEventHandler: subscription, dead-letter topic, and what each outcome means to daprd.</summary>
public sealed class EventHandlerTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AHandlerSubscribesToItsTopicWithTheAppsDeadLetterTopic()
    {
        await using var host = await TestHost.StartAsync(app => app.MapEventHandler<PaymentConfirmed>((_, _, _) => Task.FromResult(HandlerOutcome.Done)));

        var subscription = Assert.Single(host.Sidecar.Subscriptions);

        Assert.Equal((Topics.PaymentConfirmed, Topics.DeadLetters(AppIds.OrderService)), (subscription.Topic, subscription.DeadLetterTopic));
    }

    [Fact]
    public async Task AnEventIsHandedOverTypedAndAcknowledged()
    {
        var received = new List<PaymentConfirmed>();
        await using var host = await TestHost.StartAsync(app => app.MapEventHandler<PaymentConfirmed>((e, _, _) =>
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
        await using var host = await TestHost.StartAsync(app => app.MapEventHandler<PaymentConfirmed>((_, _, _) =>
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
        await using var host = await TestHost.StartAsync(app => app.MapEventHandler<PaymentConfirmed>((_, _, _) =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(HandlerOutcome.Done);
        }));

        await host.Dapr.PublishEventAsync(Components.PubSub, Topics.PaymentConfirmed, System.Text.Json.JsonDocument.Parse(data).RootElement);
        await host.Testbed.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, calls);
        Assert.Single(host.Testbed.PubSub(Components.PubSub).Published(Topics.DeadLetters(AppIds.OrderService)));
    }

    private static EventPublisher Publisher(TestHost host) => host.Services.GetRequiredService<EventPublisher>();
}
