
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// A customer cancels an orchestrated order through order-service: before the pivot the saga
/// compensates at once, on either engine, with the clock standing still (no recovery tick, no
/// payment expiry); after it, order-service refuses with a 409 and the saga goes on.
/// </summary>
public sealed class OutsideCancelScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync())
{
    private Task<HttpResponseMessage> CancelAsync(string id) =>
        Host.Order.Http.PostAsync(new Uri($"/orders/{id}/cancel", UriKind.Relative), null);

    [Theory]
    [InlineData(SagaEngine.Runner)]
    [InlineData(SagaEngine.Workflow)]
    public async Task OutsideCancelWhileTheSagaWaitsForThePaymentCompensatesAtOnce(SagaEngine engine)
    {
        var id = await Host.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: false, ("widget", 2, 10.00m));
        await Host.SettleProcessAsync(id, "WaitingForPayment");

        using var cancel = await CancelAsync(id);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var process = await Host.SettleProcessAsync(id);

        Assert.Equal(("Cancelled", "CustomerCancelled"), ((string?)process["status"], (string?)process["cancellationReason"]));
        var steps = process["steps"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(["CreateOrder", "ReserveStock", "CreatePayment"],
            steps.Where(s => (bool?)s["compensated"] == true).Select(s => (string?)s["name"]));
        Assert.Contains(steps, s => (string?)s["name"] == "ConfirmPayment" && (string?)s["outcome"] == "Refused"
            && (string?)s["reason"] == "CustomerCancelled");
        await Expect.CancelledAsync(Host, id, "CustomerCancelled", "alice", 10000.00m, "widget", 1000);
        Assert.Equal("Cancelled", (string?)(await Host.PaymentAsync(id))["status"]);
    }

    [Theory]
    [InlineData(SagaEngine.Runner)]
    [InlineData(SagaEngine.Workflow)]
    public async Task OutsideCancelAfterThePivotIsRefusedWith409AndTheSagaCompletes(SagaEngine engine)
    {
        // Delivery is down, so the saga holds at the pivot with the order confirmed.
        await Host.Delivery.StopAsync();
        var id = await Host.StartProcessAsync(engine, "alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await Eventually.TrueAsync(async () => (string?)(await Host.ProcessAsync(id))["currentStep"] == "ScheduleDelivery");

        using var cancel = await CancelAsync(id);
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

        using var cancel = await CancelAsync(id);
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        await Host.QuiesceAsync();

        Assert.Equal("Completed", (string?)(await Host.ProcessAsync(id))["status"]);
        await Expect.CompletedAsync(Host, id, customer: "alice", credit: 9990.00m, product: "widget", onHand: 999, sold: 1, amount: 10.00m);
    }
}
