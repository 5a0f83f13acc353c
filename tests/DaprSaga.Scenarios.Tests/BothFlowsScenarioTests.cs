
namespace DaprSaga.Scenarios.Tests;

/// <summary>Choreography and orchestration side by side on one set of services.</summary>
public sealed class BothFlowsScenarioTests
{
    [Fact]
    public async Task BothFlowsRunConcurrentlyOnOneDeploymentWithCorrectResults()
    {
        await using var cluster = await SagaCluster.StartAsync();

        var choreographed = new[]
        {
            cluster.PlaceOrderAsync("alice", "north", true, ("widget", 2, 10.00m)),
            cluster.PlaceOrderAsync("alice", "south", true, ("gadget", 1, 25.00m)),
            cluster.PlaceOrderAsync("bob", "north", true, ("gizmo", 1, 99.00m)),
            cluster.PlaceOrderAsync("alice", "west", true, ("widget", 1, 10.00m)),
        };
        var orchestrated = new[]
        {
            cluster.StartProcessAsync("alice", "north", true, ("widget", 3, 10.00m)),
            cluster.StartProcessAsync("alice", "south", true, ("gadget", 2, 25.00m)),
            cluster.StartProcessAsync("bob", "north", true, ("gizmo", 1, 99.00m)),
            cluster.StartProcessAsync("alice", "west", true, ("widget", 1, 10.00m)),
        };
        await SettleAndAssertOutcomesAsync(cluster, await Task.WhenAll(choreographed.Concat(orchestrated)));
        // Stock, credit and couriers add up across both flows: 2 + 3 widgets and 1 + 2 gadgets sold.
        await Expect.StockAsync(cluster, "widget", onHand: 995, reserved: 0, sold: 5);
        await Expect.StockAsync(cluster, "gadget", onHand: 97, reserved: 0, sold: 3);
        await Expect.StockAsync(cluster, "gizmo", onHand: 3, reserved: 0, sold: 0);
        Assert.Equal(10000.00m - 20.00m - 25.00m - 30.00m - 50.00m, (decimal)(await cluster.CustomerAsync("alice"))["credit"]!);
        Assert.Equal(50.00m, (decimal)(await cluster.CustomerAsync("bob"))["credit"]!);
        Assert.Equal(4, await ActiveDeliveriesAsync(cluster));
    }

    [Fact]
    public async Task ChoreographyRunnerAndWorkflowOrdersRunConcurrentlyOnOneDeploymentWithCorrectResults()
    {
        await using var cluster = await SagaCluster.StartAsync();

        // The same four orders through each: choreography, the runner, and Dapr Workflow.
        (string Customer, string Zone, (string, int, decimal) Line)[] orders =
            [("alice", "north", ("widget", 2, 10.00m)), ("alice", "south", ("gadget", 1, 25.00m)), ("bob", "north", ("gizmo", 1, 99.00m)), ("alice", "west", ("widget", 1, 10.00m))];
        var placed = orders.Select(o => cluster.PlaceOrderAsync(o.Customer, o.Zone, true, o.Line))
            .Concat(orders.Select(o => cluster.StartProcessAsync(SagaEngine.Runner, o.Customer, o.Zone, true, o.Line)))
            .Concat(orders.Select(o => cluster.StartProcessAsync(SagaEngine.Workflow, o.Customer, o.Zone, true, o.Line)));
        var ids = await Task.WhenAll(placed);
        await SettleAndAssertOutcomesAsync(cluster, ids);
        for (var i = 4; i < ids.Length; i++)
            Assert.Equal(i < 8 ? "Runner" : "Workflow", (string?)(await cluster.ProcessAsync(ids[i]))["engine"]);
        await Expect.StockAsync(cluster, "widget", onHand: 994, reserved: 0, sold: 6);
        await Expect.StockAsync(cluster, "gadget", onHand: 97, reserved: 0, sold: 3);
        await Expect.StockAsync(cluster, "gizmo", onHand: 3, reserved: 0, sold: 0);
        Assert.Equal(10000.00m - 3 * (20.00m + 25.00m), (decimal)(await cluster.CustomerAsync("alice"))["credit"]!);
        Assert.Equal(50.00m, (decimal)(await cluster.CustomerAsync("bob"))["credit"]!);
        Assert.Equal(6, await ActiveDeliveriesAsync(cluster));
    }

    /// <summary>
    /// Waits until every saga is over, then checks each order's outcome and flow. The orders come in
    /// groups of four, one group per flow (choreography first): a happy one in the north and one in
    /// the south, one without credit, one without a courier.
    /// </summary>
    private static async Task SettleAndAssertOutcomesAsync(SagaCluster cluster, string[] ids)
    {
        foreach (var id in ids[4..]) await cluster.SettleProcessAsync(id);
        await cluster.QuiesceAsync();

        string?[] expected = ["Completed", "Completed", "InsufficientCredit", "NoCourierAvailable"];
        for (var i = 0; i < ids.Length; i++)
        {
            var order = await cluster.OrderAsync(ids[i]);
            var outcome = (string?)order["status"] == "Completed" ? "Completed" : (string?)order["cancellationReason"];
            Assert.Equal(expected[i % 4], outcome);
            Assert.Equal(i < 4 ? "Choreography" : "Orchestration", (string?)order["flow"]);
        }
    }

    private static async Task<int> ActiveDeliveriesAsync(SagaCluster cluster)
    {
        var active = 0;
        foreach (var courier in new[] { "c-north-1", "c-north-2", "c-south-1", "c-east-1" })
            active += (int)(await cluster.CourierAsync(courier))["activeDeliveries"]!;
        return active;
    }
}
