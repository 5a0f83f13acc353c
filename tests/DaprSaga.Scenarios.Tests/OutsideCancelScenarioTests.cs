
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// A customer cancels an orchestrated order through order-service once it can no longer be undone:
/// order-service refuses with a 409 and the saga goes on, on either engine. (Before the pivot the saga
/// compensates at once: OrchestrationScenarioTests, and OrderProcessTests and OrderSagaWorkflowTests.)
/// </summary>
public sealed class OutsideCancelScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync())
{
    [Theory]
    [InlineData(SagaEngine.Runner)]
    [InlineData(SagaEngine.Workflow)]
    public async Task OutsideCancelAfterThePivotIsRefusedWith409AndTheSagaCompletes(SagaEngine engine)
    {
        // Delivery is down, so the saga holds at the pivot with the order confirmed.
        await Host.Delivery.StopAsync();
        var id = await Host.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Eventually.TrueAsync(async () => (string?)(await Host.ProcessAsync(id))["currentStep"] == "ScheduleDelivery");

        using var cancel = await Host.Order.Http.PostAsync(new Uri($"/orders/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        var problem = await cancel.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(("The order's saga only goes forward now", "Confirmed"), ((string?)problem!["title"], (string?)problem["orderStatus"]));

        await Host.Delivery.StartAsync();
        await Eventually.TrueAsync(async () =>
        {
            await Host.AdvanceAsync(TimeSpan.FromMinutes(1));
            return (string?)(await Host.ProcessAsync(id))["status"] == "Completed";
        });
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9990.00m, product: "widget", onHand: 999, sold: 1, amount: 10.00m);
    }

    [Theory]
    [InlineData(SagaEngine.Runner)]
    [InlineData(SagaEngine.Workflow)]
    public async Task OutsideCancelOfAFinishedSagaChangesNothing(SagaEngine engine)
    {
        var id = await Host.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Host.SettleProcessAsync(id);

        Assert.Equal(HttpStatusCode.Conflict, await Host.ActAsync(CustomerAction.CancelOrder, id));
        await Host.QuiesceAsync();

        Assert.Equal("Completed", (string?)(await Host.ProcessAsync(id))["status"]);
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9990.00m, product: "widget", onHand: 999, sold: 1, amount: 10.00m);
    }
}
