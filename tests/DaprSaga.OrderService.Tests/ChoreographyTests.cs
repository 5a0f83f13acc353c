using DaprSaga.OrderService.Orders;

namespace DaprSaga.OrderService.Tests;

/// <summary>The events order-service consumes, delivered through the test sidecar as daprd would.</summary>
public sealed class ChoreographyTests : ServiceTest
{
    /// <summary>
    /// The order stands at <paramref name="status"/> with <paramref name="reason"/>, and its history holds exactly one
    /// <paramref name="trigger"/> event, which changed nothing.
    /// </summary>
    private async Task AssertRecordedButNotAppliedAsync(string id, OrderStatus status, CancellationReason? reason, string trigger)
    {
        var order = await Host.GetAsync(id);
        Assert.Equal((status, reason), (order.Status, order.CancellationReason));
        Assert.False(Assert.Single(order.History, h => h.Trigger == trigger).Applied);
    }

    /// <summary>Places an order that inventory then refuses for lack of stock, so the order is cancelled.</summary>
    private async Task<string> PlaceOutOfStockAsync()
    {
        var id = (await Host.PlaceAsync()).OrderId;
        await Host.PublishAsync(new StockReservationFailed(id, Choreo, CancellationReason.OutOfStock, Host.Now));
        return id;
    }

    [Fact]
    public async Task TheHappyPathMovesTheOrderStepByStepAndAnnouncesEachDecision()
    {
        var id = (await Host.PlaceAsync()).OrderId;

        await Host.PublishAsync(new StockReserved(id, Choreo, "alice", 20.00m, false, Host.Now));
        Assert.Equal(OrderStatus.Pending, (await Host.GetAsync(id)).Status);

        await Host.PublishAsync(new PaymentRequested(id, Choreo, "alice", 20.00m, Host.Now.AddMinutes(15), Host.Now));
        Assert.Equal(OrderStatus.AwaitingPayment, (await Host.GetAsync(id)).Status);
        Assert.Empty(Host.Published(Topics.OrderConfirmed));

        await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20.00m, Host.Now));
        Assert.Equal(OrderStatus.Confirmed, (await Host.GetAsync(id)).Status);
        var confirmed = Assert.Single(Host.Published(Topics.OrderConfirmed));
        Assert.Equal("order-confirmed.v1", (string?)confirmed.Envelope["type"]);
        Assert.Equal("north", Host.PublishedData(Topics.OrderConfirmed).Single().GetProperty("deliveryZone").GetString());

        await Host.PublishAsync(new DeliveryScheduled(id, Choreo, "c-north-1", Host.Now));
        var order = await Host.GetAsync(id);
        Assert.Equal((OrderStatus.Completed, null), (order.Status, order.CancellationReason));
        Assert.Equal(id, Host.PublishedData(Topics.OrderCompleted).Single().GetProperty("orderId").GetString());
        Assert.Empty(Host.Published(Topics.OrderCancelled));

        Assert.Equal(
            [(OrderCommands.Place, true), (Topics.StockReserved, false), (Topics.PaymentRequested, true), (Topics.PaymentConfirmed, true), (Topics.DeliveryScheduled, true)],
            order.History.Select(h => (h.Trigger, h.Applied)));
    }

    public static TheoryData<string, CancellationReason> Cancellations => new()
    {
        { Topics.StockReservationFailed, CancellationReason.OutOfStock },
        { Topics.StockReservationFailed, CancellationReason.PriceChanged },
        { Topics.PaymentCancelled, CancellationReason.InsufficientCredit },
        { Topics.PaymentCancelled, CancellationReason.PaymentExpired },
        { Topics.DeliveryFailed, CancellationReason.NoCourierAvailable },
    };

    [Theory]
    [MemberData(nameof(Cancellations))]
    public async Task AFailedStepCancelsTheOrderWithItsReasonAndPublishesOrderCancelledOnce(string topic, CancellationReason reason)
    {
        var id = (await Host.PlaceAsync()).OrderId;
        if (topic == Topics.DeliveryFailed) await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20m, Host.Now));

        // Delivered twice, as at-least-once brokers do.
        for (var i = 0; i < 2; i++)
        {
            await (topic switch
            {
                Topics.StockReservationFailed => Host.PublishAsync(new StockReservationFailed(id, Choreo, reason, Host.Now)),
                Topics.PaymentCancelled => Host.PublishAsync(new PaymentCancelled(id, Choreo, reason, Host.Now)),
                _ => Host.PublishAsync(new DeliveryFailed(id, Choreo, CancellationReason.NoCourierAvailable, Host.Now)),
            });
        }

        var order = await Host.GetAsync(id);
        Assert.Equal((OrderStatus.Cancelled, reason), (order.Status, order.CancellationReason));
        var cancelled = Assert.Single(Host.PublishedData(Topics.OrderCancelled));
        Assert.Equal((id, reason.ToString(), "Choreography"),
            (cancelled.GetProperty("orderId").GetString(), cancelled.GetProperty("reason").GetString(), cancelled.GetProperty("flow").GetString()));
        Assert.Single(order.History, h => h.Trigger == topic);
    }

    [Fact]
    public async Task ADuplicatedPaymentConfirmedConfirmsOnceAndPublishesOneOrderConfirmed()
    {
        var id = (await Host.PlaceAsync()).OrderId;

        await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20m, Host.Now));
        await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20m, Host.Now));

        Assert.Single(Host.Published(Topics.OrderConfirmed));
        Assert.Single((await Host.GetAsync(id)).History, h => h.Trigger == Topics.PaymentConfirmed);
    }

    [Fact]
    public async Task PaymentConfirmedBeforePaymentRequestedEndsConfirmed()
    {
        var id = (await Host.PlaceAsync()).OrderId;

        await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20m, Host.Now));
        await Host.PublishAsync(new PaymentRequested(id, Choreo, "alice", 20m, Host.Now.AddMinutes(15), Host.Now));

        await AssertRecordedButNotAppliedAsync(id, OrderStatus.Confirmed, null, Topics.PaymentRequested);
        Assert.Single(Host.Published(Topics.OrderConfirmed));
    }

    [Fact]
    public async Task ALateEventIsRecordedButNotApplied()
    {
        var id = await PlaceOutOfStockAsync();

        await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20m, Host.Now));
        await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20m, Host.Now));

        await AssertRecordedButNotAppliedAsync(id, OrderStatus.Cancelled, CancellationReason.OutOfStock, Topics.PaymentConfirmed);
        Assert.Empty(Host.Published(Topics.OrderConfirmed));
        Assert.Single(Host.Published(Topics.OrderCancelled));
    }

    [Fact]
    public async Task AnEventOfTheOrchestrationFlowIsRecordedOnly()
    {
        var id = (await Host.PlaceAsync()).OrderId;

        await Host.PublishAsync(new PaymentCancelled(id, SagaFlow.Orchestration, CancellationReason.PaymentCancelled, Host.Now));

        await AssertRecordedButNotAppliedAsync(id, OrderStatus.Pending, null, Topics.PaymentCancelled);
        Assert.Empty(Host.Published(Topics.OrderCancelled));
    }

    [Fact]
    public async Task FactsAreRecordedOnceForTheTimeline()
    {
        var id = await PlaceOutOfStockAsync();

        await Host.PublishAsync(new StockReleased(id, Choreo, Host.Now));
        await Host.PublishAsync(new StockReleased(id, Choreo, Host.Now));
        await Host.PublishAsync(new PaymentRefunded(id, Choreo, 20m, Host.Now));
        await Host.PublishAsync(new DeliveryCancelled(id, Choreo, null, Host.Now));
        await Host.PublishAsync(new StockCommitted(id, Choreo, Host.Now));

        var order = await Host.GetAsync(id);
        Assert.Equal(OrderStatus.Cancelled, order.Status);
        Assert.Equal(
            [Topics.StockReleased, Topics.PaymentRefunded, Topics.DeliveryCancelled, Topics.StockCommitted],
            order.History.Skip(2).Select(h => h.Trigger));
        Assert.All(order.History.Skip(2), h => Assert.False(h.Applied));
    }

    [Fact]
    public async Task AnEventForAnOrderNotCreatedYetIsRetriedAndNeverDropped()
    {
        await Host.PublishAsync(new PaymentConfirmed("not-yet", Choreo, 20m, Host.Now));

        // Retried up to the resiliency budget, then dead-lettered, never acknowledged as handled.
        Assert.Equal(Host.Testbed.Delivery.MaxRetries, Host.Testbed.Redeliveries);
        Assert.Single(Host.Published(Topics.DeadLetters(AppIds.OrderService)));
    }

    [Fact]
    public async Task AMalformedEventIsDroppedToTheDeadLetterTopic()
    {
        await Host.PublishRawAsync(Topics.PaymentConfirmed, new { orderId = 42, flow = "Sideways" });
        await Host.PublishRawAsync(Topics.StockReservationFailed, new { orderId = "o-1", flow = "Choreography", reason = "Bored", occurredAt = Host.Now });

        Assert.Equal(2, Host.Published(Topics.DeadLetters(AppIds.OrderService)).Count);
        Assert.Equal(0, Host.Testbed.Redeliveries);
    }
}
