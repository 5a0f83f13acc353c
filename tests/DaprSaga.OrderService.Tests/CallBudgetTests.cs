using DaprSaga.OrderService.Orders;

namespace DaprSaga.OrderService.Tests;

/// <summary>
/// The state calls one choreographed saga costs order-service, by key family (as the bench counts
/// them): the benchmark is bound by app↔sidecar calls, so a change that adds some fails here.
/// </summary>
public sealed class CallBudgetTests : ServiceTest
{
    [Fact]
    public async Task AHappySagaStaysWithinItsBudgetOfStateCalls()
    {
        var before = Host.Sidecar.Calls.ByKeyFamily();

        var id = (await Host.PlaceAsync()).OrderId;
        await Host.PublishAsync(new StockReserved(id, Choreo, "alice", 20.00m, false, Host.Now));
        await Host.PublishAsync(new PaymentRequested(id, Choreo, "alice", 20.00m, Host.Now.AddMinutes(15), Host.Now));
        await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20.00m, Host.Now));
        await Host.PublishAsync(new DeliveryScheduled(id, Choreo, "c-north-1", Host.Now));
        await Host.PublishAsync(new StockCommitted(id, Choreo, Host.Now));

        var spent = ServiceAssert.SpentSince(Host.Sidecar.Calls, before);
        Assert.Equal(OrderStatus.Completed, (await Host.GetAsync(id)).Status);
        // Place: enter the outbox listing (read, write), which keeps it while open and in the order
        // list, then write the order unread (its id is new). Each of the five deliveries: one read
        // and one write of the order, nothing else. The sweep moves it to the index of all orders
        // later, with others of its shard. Before that move: orders-index 1 read, 1 write more.
        ServiceAssert.WithinBudget(spent,
            ("order-{id}", Reads: 5, Writes: 6),
            ("outbox-listing-#", 1, 1));
    }

    [Fact]
    public async Task TheDeadlinePassReadsOnlyOrdersListedForTheDeadlineAndLeavesUnlistingToTheSweep()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = (await Host.PlaceAsync()).OrderId;
            await Host.PublishAsync(new PaymentConfirmed(id, Choreo, 20.00m, Host.Now));
            await Host.PublishAsync(new DeliveryScheduled(id, Choreo, "c-north-1", Host.Now));
            ids.Add(id);
        }
        var open = (await Host.PlaceAsync()).OrderId;
        Assert.Equal(ids.Append(open).Select(OrderBook.KeyOf).Order(StringComparer.Ordinal), await Listed());
        var before = Host.Sidecar.Calls.ByKeyFamily();

        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OrderRecovery));

        var spent = ServiceAssert.SpentSince(Host.Sidecar.Calls, before);
        // Every listing shard in one bulk read; no order listed for the deadline yet, so none read and nothing written.
        Assert.Equal(32, spent.GetValueOrDefault("StateRead outbox-listing-#"));
        Assert.Equal(0, spent.GetValueOrDefault("StateWrite outbox-listing-#"));
        Assert.Equal(0, spent.GetValueOrDefault("StateRead order-{id}"));
        Assert.Equal(0, spent.GetValueOrDefault("StateWrite order-{id}"));

        // Listed for the deadline: every listed order read in one bulk read, the open one cancelled, none unlisted.
        Host.Clock.Advance(new OrderOptions().SagaDeadline);
        before = Host.Sidecar.Calls.ByKeyFamily();
        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OrderRecovery));
        spent = ServiceAssert.SpentSince(Host.Sidecar.Calls, before);
        Assert.Equal(4 + 1, spent.GetValueOrDefault("StateRead order-{id}"));
        Assert.Equal(1, spent.GetValueOrDefault("StateWrite order-{id}"));
        Assert.Equal(0, spent.GetValueOrDefault("StateWrite outbox-listing-#"));
        Assert.Equal(ids.Append(open).Select(OrderBook.KeyOf).Order(StringComparer.Ordinal), await Listed());

        // The sweep unlists them, now all terminal and listed long enough.
        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OutboxSweep));
        Assert.Empty(await Listed());
    }

    private Task<IReadOnlyList<string>> Listed() => Listing.KeysAsync(Host.AppDapr, Components.OrderStore);
}
