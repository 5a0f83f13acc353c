using DaprSaga.OrderService.Orders;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http;

namespace DaprSaga.OrderService.Tests;

public sealed class ListingOrdersTests : ServiceTest
{
    private async Task<OrderListPage> ListAsync(string query) =>
        (await Host.Http.GetFromJsonAsync<OrderListPage>("/orders" + query, ServiceDefaultsExtensions.JsonOptions))!;

    [Fact]
    public async Task OrdersAreListedNewestFirstAndFilteredByStatusAndFlowCaseInsensitively()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await Host.PlaceAsync()).OrderId);
            Host.Clock.Advance(TimeSpan.FromSeconds(1));
        }
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
    public async Task ListsArePagedByFifty()
    {
        var ids = new List<string>();
        for (var i = 0; i < 51; i++)
        {
            ids.Add((await Host.PlaceAsync()).OrderId);
            Host.Clock.Advance(TimeSpan.FromMilliseconds(10));
        }

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

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<HttpValidationProblemDetails>())!;
        Assert.Contains(field, problem.Errors.Keys);
    }
}
