using DaprSaga.OrderService.Orders;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Mvc;

namespace DaprSaga.OrderService.Tests;

public sealed class CancellingAndRecoveryTests : ServiceTest
{
    [Fact]
    public async Task TheCustomerCancelsBeforePaymentAndARepeatChangesNothing()
    {
        var id = (await Host.PlaceAsync()).OrderId;

        using var first = await Host.CancelAsync(id);
        using var again = await Host.CancelAsync(id);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, again.StatusCode));
        Assert.Equal(OrderStatus.Cancelled, (await again.Content.ReadFromJsonAsync<OrderAccepted>(ServiceDefaultsExtensions.JsonOptions))!.Status);
        var order = await Host.GetAsync(id);
        Assert.Equal((OrderStatus.Cancelled, CancellationReason.CustomerCancelled), (order.Status, order.CancellationReason));
        Assert.Equal("CustomerCancelled", Host.PublishedData(Topics.OrderCancelled).Single().GetProperty("reason").GetString());
    }

    [Fact]
    public async Task TheCustomerCancelsAfterPaymentAndTheLateDeliveryDoesNotCompleteTheOrder()
    {
        var id = (await Host.PlaceAsync()).OrderId;
        await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20m, Host.Now));

        using var response = await Host.CancelAsync(id);
        await Host.PublishAsync(new DeliveryScheduled(id, Choreo, "c-north-1", Host.Now));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(OrderStatus.Cancelled, (await Host.GetAsync(id)).Status);
        Assert.Single(Host.Published(Topics.OrderCancelled));
        Assert.Empty(Host.Published(Topics.OrderCompleted));
    }

    [Fact]
    public async Task ACompletedOrderCannotBeCancelled()
    {
        var id = (await Host.PlaceAsync()).OrderId;
        await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20m, Host.Now));
        await Host.PublishAsync(new DeliveryScheduled(id, Choreo, "c-north-1", Host.Now));

        using var response = await Host.CancelAsync(id);
        using var again = await Host.CancelAsync(id);

        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict), (response.StatusCode, again.StatusCode));
        Assert.Equal(409, (await response.Content.ReadFromJsonAsync<ProblemDetails>())!.Status);
        Assert.Equal(OrderStatus.Completed, (await Host.GetAsync(id)).Status);
        Assert.Empty(Host.Published(Topics.OrderCancelled));
    }

    [Fact]
    public async Task CancellingAnUnknownOrderIsNotFound()
    {
        using var response = await Host.CancelAsync("no-such-order");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task TheRecoveryTickCancelsOpenOrdersPastTheSagaDeadlineOnly()
    {
        var stuck = (await Host.PlaceAsync()).OrderId;
        var confirmed = (await Host.PlaceAsync()).OrderId;
        await Host.PublishAsync(new PaymentConfirmed(confirmed, Choreo, 20m, Host.Now));
        var completed = (await Host.PlaceAsync()).OrderId;
        await Host.PublishAsync(new PaymentConfirmed(completed, Choreo, 20m, Host.Now));
        await Host.PublishAsync(new DeliveryScheduled(completed, Choreo, "c-north-1", Host.Now));
        Host.Clock.Advance(TimeSpan.FromMinutes(10));
        var young = (await Host.PlaceAsync()).OrderId;

        Host.Clock.Advance(TimeSpan.FromMinutes(19));
        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OrderRecovery));
        Assert.Empty(Host.Published(Topics.OrderCancelled));

        Host.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OrderRecovery));
        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OrderRecovery));

        Assert.Equal((OrderStatus.Cancelled, CancellationReason.SagaTimedOut), await StatusOf(stuck));
        Assert.Equal((OrderStatus.Cancelled, CancellationReason.SagaTimedOut), await StatusOf(confirmed));
        Assert.Equal(OrderStatus.Completed, (await StatusOf(completed)).Item1);
        Assert.Equal(OrderStatus.Pending, (await StatusOf(young)).Item1);
        Assert.Equal(
            new[] { stuck, confirmed }.Order(StringComparer.Ordinal),
            Host.PublishedData(Topics.OrderCancelled).Select(d => d.GetProperty("orderId").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(Host.PublishedData(Topics.OrderCancelled), d => Assert.Equal("SagaTimedOut", d.GetProperty("reason").GetString()));
    }

    private async Task<(OrderStatus, CancellationReason?)> StatusOf(string orderId)
    {
        var order = await Host.GetAsync(orderId);
        return (order.Status, order.CancellationReason);
    }
}
