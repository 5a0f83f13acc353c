using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using DaprSaga.Contracts;

namespace DaprSaga.Bench.Driver;

/// <summary>
/// Checks the end state against the plan: every order (and, orchestrated, every process, on the
/// engine asked for) ended as its mix slot says, with its reason; stock sold exactly what the
/// completed orders bought and holds nothing reserved; each customer paid exactly for its completed orders (refunds
/// included); the couriers carry exactly one active delivery per completed order.
/// </summary>
public static class Verifier
{
    public static async Task<IReadOnlyList<string>> VerifyAsync(
        Cluster cluster, BenchFlow flow, Workload workload, string[] orderIds, string[] customers)
    {
        var mismatches = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(workload.Sagas, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (saga, _) =>
        {
            var orderId = orderIds[saga.Index];
            if (orderId is null)
            {
                mismatches.Enqueue($"saga {saga.Index}: never placed");
                return;
            }
            var (status, reason) = saga.Expected;
            var order = await Cluster.GetJsonAsync(cluster.Order, $"/orders/{orderId}");
            Check($"saga {saga.Index} ({saga.Outcome}) order {orderId}", order, status, reason);
            if (flow != BenchFlow.Choreography)
            {
                // The process saves its end a moment after the order's terminal event.
                JsonObject process = [];
                await Cluster.UntilAsync(async () =>
                {
                    process = await Cluster.GetJsonAsync(cluster.Process, $"/order-processes/{orderId}");
                    return (string?)process["status"] is "Completed" or "Cancelled";
                }, TimeSpan.FromSeconds(30), $"process {orderId} terminal");
                Check($"saga {saga.Index} ({saga.Outcome}) process {orderId}", process, status, reason);
                // The engine asked for, not the service's default.
                var engine = flow == BenchFlow.Workflow ? nameof(SagaEngine.Workflow) : nameof(SagaEngine.Runner);
                if ((string?)process["engine"] != engine)
                    mismatches.Enqueue($"saga {saga.Index} process {orderId}: engine {process["engine"]}, expected {engine}");
            }
        });

        for (var k = 0; k < Workload.ProductCount; k++)
        {
            var id = Workload.ProductId(k);
            var sold = workload.ExpectedSold[id];
            await CheckProductAsync(id, workload.InitialStock[id] - sold, sold);
        }
        await CheckProductAsync(Workload.EmptyProduct, 0, 0);

        for (var c = 0; c < workload.CustomerCount; c++)
        {
            var expected = workload.CreditOf(c).Final;
            var customer = await Cluster.GetJsonAsync(cluster.Payment, $"/customers/{customers[c]}");
            if ((decimal)customer["credit"]! != expected) mismatches.Enqueue($"customer {c}: credit {customer["credit"]}, expected {expected}");
        }

        var active = 0;
        for (var k = 0; k < workload.CourierCount; k++)
            active += (int)(await Cluster.GetJsonAsync(cluster.Delivery, $"/couriers/{Workload.CourierId(k)}"))["activeDeliveries"]!;
        if (active != workload.HappyCount) mismatches.Enqueue($"couriers: {active} active deliveries, expected {workload.HappyCount}");

        return [.. mismatches];

        void Check(string what, JsonObject found, string status, CancellationReason? reason)
        {
            var foundStatus = (string?)found["status"];
            var foundReason = (string?)found["cancellationReason"];
            if (foundStatus != status || foundReason != reason?.ToString())
                mismatches.Enqueue($"{what}: {foundStatus}/{foundReason ?? "-"}, expected {status}/{reason?.ToString() ?? "-"}");
        }

        async Task CheckProductAsync(string id, int onHand, int sold)
        {
            var product = await Cluster.GetJsonAsync(cluster.Inventory, $"/products/{id}");
            var (h, r, s) = ((int)product["onHand"]!, (int)product["reserved"]!, (int)product["sold"]!);
            if ((h, r, s) != (onHand, 0, sold))
                mismatches.Enqueue($"product {id}: onHand/reserved/sold {h}/{r}/{s}, expected {onHand}/0/{sold}");
        }
    }
}
