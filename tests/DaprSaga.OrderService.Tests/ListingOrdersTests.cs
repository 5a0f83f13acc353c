using DaprSaga.OrderService.Orders;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.OrderService.Tests;

public sealed class ListingOrdersTests : ServiceTest
{
    private async Task<OrderListPage> ListAsync(string query) =>
        (await Host.Http.GetFromJsonAsync<OrderListPage>("/orders" + query, ServiceDefaultsExtensions.JsonOptions))!;

    /// <summary>Places <paramref name="count"/> orders, the clock moving on by <paramref name="apart"/> after each; their ids, oldest first.</summary>
    private async Task<List<string>> PlaceOrdersAsync(int count, TimeSpan apart)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await Host.PlaceAsync()).OrderId);
            Host.Clock.Advance(apart);
        }
        return ids;
    }

    [Fact]
    public async Task OrdersAreListedNewestFirstAndFilteredByStatusAndFlowCaseInsensitively()
    {
        var ids = await PlaceOrdersAsync(3, apart: TimeSpan.FromSeconds(1));
        using (await Host.CancelAsync(ids[1])) { }

        var all = await ListAsync("");
        var cancelled = await ListAsync("?status=cancelled");
        var pending = await ListAsync("?status=PENDING&flow=choreography");
        var orchestrated = await ListAsync("?flow=Orchestration");

        Assert.Equal([ids[2], ids[1], ids[0]], all.Items.Select(o => o.OrderId));
        Assert.Equal((1, 50, 3), (all.Page, all.PageSize, all.TotalCount));
        Assert.Equal([ids[1]], cancelled.Items.Select(o => o.OrderId));
        Assert.Equal([ids[2], ids[0]], pending.Items.Select(o => o.OrderId));
        Assert.Empty(orchestrated.Items);
    }

    [Fact]
    public async Task AnOrderIsListedFromPlacementAndTheSweepMovesItToTheIndexOnceTerminal()
    {
        var open = (await Host.PlaceAsync()).OrderId;
        var cancelled = (await Host.PlaceAsync()).OrderId;
        using (await Host.CancelAsync(cancelled)) { }
        Assert.Empty(await IndexedAsync());

        Host.Clock.Advance(Outbox.ListedAtLeast);
        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OutboxSweep));

        // Only the terminal one left the listing, entering the index first; the list still shows both.
        Assert.Equal([cancelled], await IndexedAsync());
        Assert.Equal([OrderBook.KeyOf(open)], await Listing.KeysAsync(Host.AppDapr, Components.OrderStore));
        Assert.Equal(new[] { cancelled, open }.Order(StringComparer.Ordinal), (await ListAsync("")).Items.Select(o => o.OrderId).Order(StringComparer.Ordinal));
    }

    private Task<IReadOnlyList<string>> IndexedAsync() => new ShardedIndex(Host.AppDapr, Components.OrderStore, "orders").ListAsync();

    [Fact]
    public async Task ListsArePagedByFifty()
    {
        var ids = await PlaceOrdersAsync(51, apart: TimeSpan.FromMilliseconds(10));

        var first = await ListAsync("?page=1");
        var second = await ListAsync("?page=2");
        var third = await ListAsync("?page=3");

        Assert.Equal(Enumerable.Reverse(ids).Take(50), first.Items.Select(o => o.OrderId));
        Assert.Equal([ids[0]], second.Items.Select(o => o.OrderId));
        Assert.Empty(third.Items);
        Assert.Equal(51, second.TotalCount);
    }

    [Theory]
    [InlineData("?status=Lost", "status")]
    [InlineData("?status=2", "status")]
    [InlineData("?flow=Both", "flow")]
    [InlineData("?page=0", "page")]
    [InlineData("?page=two", "page")]
    public async Task AnUnknownFilterValueIsRefusedNamingTheParameter(string query, string field)
    {
        using var response = await Host.Http.GetAsync("/orders" + query);

        await ValidationProblems.AssertNamesFieldAsync(response, field);
    }
}
