
namespace DaprSaga.Scenarios.Tests;

/// <summary>Final-state assertions across all four services.</summary>
public static class Expect
{
    public static async Task CompletedAsync(
        SagaCluster cluster, string orderId, string customer, decimal credit, string product, int onHand, int sold, decimal amount)
    {
        var order = await cluster.OrderAsync(orderId);
        Assert.Equal(("Completed", null), ((string?)order["status"], (string?)order["cancellationReason"]));
        Assert.Equal("Committed", (string?)(await cluster.ReservationAsync(orderId))["status"]);
        await StockAsync(cluster, product, onHand, reserved: 0, sold);
        Assert.Equal(credit, (decimal)(await cluster.CustomerAsync(customer))["credit"]!);
        var payment = await cluster.PaymentAsync(orderId);
        Assert.Equal(("Confirmed", amount), ((string?)payment["status"], (decimal)payment["amount"]!));
        var delivery = await cluster.DeliveryAsync(orderId);
        Assert.Equal("Scheduled", (string?)delivery["status"]);
        var courier = await cluster.CourierAsync((string)delivery["courierId"]!);
        Assert.Equal(1, (int)courier["activeDeliveries"]!);
    }

    /// <summary>A cancelled saga keeps nothing: no stock held or sold, no credit taken, no courier slot.</summary>
    public static async Task CancelledAsync(
        SagaCluster cluster, string orderId, string reason, string? customer, decimal credit, string product, int onHand)
    {
        var order = await cluster.OrderAsync(orderId);
        Assert.Equal(("Cancelled", reason), ((string?)order["status"], (string?)order["cancellationReason"]));
        await StockAsync(cluster, product, onHand, reserved: 0, sold: 0);
        if (customer is not null) Assert.Equal(credit, (decimal)(await cluster.CustomerAsync(customer))["credit"]!);
        if (await SagaCluster.StatusOfAsync(cluster.Payment, $"/payments/{orderId}") == HttpStatusCode.OK)
            Assert.Contains((string?)(await cluster.PaymentAsync(orderId))["status"], new[] { "Cancelled", "Refunded" });
        if (await SagaCluster.StatusOfAsync(cluster.Delivery, $"/deliveries/{orderId}") == HttpStatusCode.OK)
            Assert.NotEqual("Scheduled", (string?)(await cluster.DeliveryAsync(orderId))["status"]);
        foreach (var courier in new[] { "c-north-1", "c-north-2", "c-south-1", "c-east-1" })
            Assert.Equal(0, (int)(await cluster.CourierAsync(courier))["activeDeliveries"]!);
    }

    /// <summary>Every step: a manual-confirm order's saga, where ConfirmPayment waits for the customer.</summary>
    public static readonly string[] AllSteps =
        ["CreateOrder", "ReserveStock", "CreatePayment", "ConfirmPayment", "ConfirmOrder", "ScheduleDelivery", "CompleteOrder"];

    /// <summary>An auto-confirm order's saga: its payment is created pre-authorised, so ConfirmPayment does not apply.</summary>
    public static readonly string[] PreauthorisedSteps = [.. AllSteps.Where(s => s != "ConfirmPayment")];

    /// <summary>The orchestrator's view names the engine, the outcome, and the steps done (and compensated) in order.</summary>
    public static async Task ProcessAsync(
        SagaCluster cluster, string id, SagaEngine engine, string status, string? reason, string[] done, string[]? compensated = null)
    {
        var process = await cluster.ProcessAsync(id);
        Assert.Equal((engine.ToString(), status, reason), ((string?)process["engine"], (string?)process["status"], (string?)process["cancellationReason"]));
        var steps = process["steps"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(done, steps.Where(s => (string?)s["outcome"] == "Done").Select(s => (string?)s["name"]));
        Assert.Equal(compensated ?? [], steps.Where(s => (bool?)s["compensated"] == true).Select(s => (string?)s["name"]));
        Assert.Equal("Orchestration", (string?)(await cluster.OrderAsync(id))["flow"]);
        // Only a saga on Dapr Workflow is an instance of the workflow engine.
        Assert.Equal(engine == SagaEngine.Workflow, cluster.Testbed.Workflows(AppIds.OrderProcessService).InstanceIds.Contains(id));
    }

    public static async Task StockAsync(SagaCluster cluster, string product, int onHand, int reserved, int sold)
    {
        JsonObject p = await cluster.ProductAsync(product);
        Assert.Equal((onHand, reserved, sold), ((int)p["onHand"]!, (int)p["reserved"]!, (int)p["sold"]!));
    }
}
