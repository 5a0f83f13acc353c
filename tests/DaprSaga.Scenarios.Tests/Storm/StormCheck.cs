using System.Collections.Concurrent;

namespace DaprSaga.Scenarios.Tests.Storm;

/// <summary>One order as every service sees it once the storm is over.</summary>
public sealed record OrderFinalState(
    string OrderId, StormOrder? Placed, JsonObject? Order, JsonObject? Process, JsonObject? Payment, JsonObject? Reservation, JsonObject? Delivery)
{
    public string Status => (string?)Order?["status"] ?? "(no order)";

    public string? Reason => (string?)Order?["cancellationReason"];

    public string Flow => (string?)Order?["flow"] ?? Placed?.Flow.ToString() ?? "?";

    /// <summary>The engine the orchestration reports (Runner or Workflow); null for choreography.</summary>
    public string? Engine => (string?)Process?["engine"];

    public decimal Total => (decimal?)Order?["total"] ?? 0m;

    public string? CustomerId => (string?)Order?["customerId"] ?? Placed?.CustomerId;

    public string? PaymentStatus => (string?)Payment?["status"];

    /// <summary>Captured minus refunded: a Confirmed payment holds its amount; a Refunded one was captured and given back.</summary>
    public decimal NetCaptured => PaymentStatus == "Confirmed" ? (decimal)Payment!["amount"]! : 0m;

    /// <summary>What each service holds for the order, for a violation's report.</summary>
    public string Describe() =>
        $"{Flow}{(Engine is { } e ? $" on {e}" : "")}; payment {Payment?.ToJsonString() ?? "(none)"}; " +
        $"reservation {(string?)Reservation?["status"] ?? "(none)"}; delivery {(string?)Delivery?["status"] ?? "(none)"}; " +
        $"process steps {Process?["steps"]?.ToJsonString() ?? "(none)"}";

    public IEnumerable<(string ProductId, int Quantity)> Items =>
        Order?["items"]?.AsArray().Select(i => ((string)i!["productId"]!, (int)i["quantity"]!)) ?? [];
}

/// <summary>
/// Reads the final state of every service and checks the invariants of docs/architecture.md
/// ("Reliability rules"), each violation a line naming the order or resource.
/// </summary>
public sealed class StormCheck(SagaCluster cluster, Retrying http)
{
    public List<string> Violations { get; } = [];

    public List<OrderFinalState> Orders { get; } = [];

    public List<string> Checked { get; } = [];

    public async Task RunAsync(StormRun run, IReadOnlyList<StormOrder> placed)
    {
        var listed = await StormRun.ListOrdersAsync(cluster, http);
        var byId = placed.Where(o => o.OrderId is not null).ToDictionary(o => o.OrderId!);
        var ids = byId.Keys.Union(listed.Select(o => (string)o["orderId"]!)).ToList();
        var states = new ConcurrentBag<OrderFinalState>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
            states.Add(await ReadAsync(id, byId.GetValueOrDefault(id))));
        Orders.AddRange(states.OrderBy(s => s.Placed?.Number ?? int.MaxValue));

        Check("every order placed once: order-service lists exactly the orders the storm placed", () =>
        {
            foreach (var id in ids.Except(byId.Keys)) Fail($"order {id} is listed but the storm never placed it (a duplicate?)");
            foreach (var id in byId.Keys.Except(listed.Select(o => (string)o["orderId"]!))) Fail($"order {id} was placed but is not listed");
        });
        Check("every order terminal", () =>
        {
            foreach (var o in Orders.Where(o => o.Order is null || !StormRun.IsTerminal(o.Order))) Fail(o, $"order {o.OrderId} is {o.Status}");
        });
        Check("every orchestration terminal, with the same outcome as its order", () =>
        {
            foreach (var o in Orders.Where(o => o.Flow == nameof(SagaFlow.Orchestration)))
            {
                var status = (string?)o.Process?["status"];
                if (status != o.Status) Fail(o, $"order {o.OrderId} is {o.Status} but its orchestration is {status ?? "(missing)"}");
            }
        });
        Check("every orchestration ran on the engine it was started on", () =>
        {
            foreach (var o in Orders.Where(o => o.Placed?.Engine is not null && o.Process is not null && o.Engine != o.Placed.Engine.ToString()))
                Fail(o, $"order {o.OrderId} was started on {o.Placed!.Engine} but reports {o.Engine ?? "(none)"}");
        });
        Check("captured - refunded = total for Completed, 0 for Cancelled; no payment left Pending", () =>
        {
            foreach (var o in Orders)
            {
                if (o.Status == "Completed" && (o.PaymentStatus != "Confirmed" || o.NetCaptured != o.Total))
                    Fail(o, $"order {o.OrderId} is Completed (total {o.Total}) but its payment is {o.PaymentStatus ?? "(none)"} capturing {o.NetCaptured}");
                if (o.Status == "Cancelled" && o.NetCaptured != 0)
                    Fail(o, $"order {o.OrderId} is Cancelled ({o.Reason}) but its payment still holds {o.NetCaptured}");
                if (o.PaymentStatus == "Pending") Fail(o, $"order {o.OrderId}: payment still Pending (expires {(string?)o.Payment!["expiresAt"]})");
            }
        });
        Check("stock committed only for Completed orders, released or rejected for Cancelled", () =>
        {
            foreach (var o in Orders)
            {
                var reservation = (string?)o.Reservation?["status"];
                if (o.Status == "Completed" && reservation != "Committed")
                    Fail(o, $"order {o.OrderId} is Completed but its reservation is {reservation ?? "(none)"}");
                if (o.Status == "Cancelled" && reservation is "Reserved" or "Committed")
                    Fail(o, $"order {o.OrderId} is Cancelled ({o.Reason}) but its reservation is {reservation}");
            }
        });
        Check("an active (Scheduled) delivery exists exactly for each Completed order", () =>
        {
            foreach (var o in Orders)
            {
                var delivery = (string?)o.Delivery?["status"];
                if (o.Status == "Completed" && delivery != "Scheduled") Fail(o, $"order {o.OrderId} is Completed but its delivery is {delivery ?? "(none)"}");
                if (o.Status != "Completed" && delivery == "Scheduled") Fail(o, $"order {o.OrderId} is {o.Status} but holds a Scheduled delivery");
            }
        });
        Check("orders that cannot succeed are Cancelled (out of stock, unknown product, stale price, unknown or broke customer, no courier, customer cancel or no confirm)", () =>
        {
            foreach (var o in Orders.Where(o => o.Placed?.MustCancelBecause is not null && o.Status != "Cancelled"))
                Fail(o, $"order {o.OrderId} (#{o.Placed!.Number}) is {o.Status} although {o.Placed.MustCancelBecause}");
        });

        var products = await http.GetExistingAsync<JsonArray>(cluster.Inventory, "/products");
        Check("per product onHand + reserved + sold = received, reserved = 0, sold = quantities of Completed orders", () =>
        {
            var soldByCompleted = Orders.Where(o => o.Status == "Completed").SelectMany(o => o.Items)
                .GroupBy(i => i.ProductId).ToDictionary(g => g.Key, g => g.Sum(i => i.Quantity));
            foreach (var p in products.Select(p => p!.AsObject()))
            {
                var (id, onHand, reserved, sold, received) =
                    ((string)p["productId"]!, (int)p["onHand"]!, (int)p["reserved"]!, (int)p["sold"]!, (int)p["received"]!);
                if (onHand + reserved + sold != received) Fail($"product {id}: onHand {onHand} + reserved {reserved} + sold {sold} != received {received}");
                if (reserved != 0) Fail($"product {id}: {reserved} still reserved");
                if (sold != soldByCompleted.GetValueOrDefault(id)) Fail($"product {id}: sold {sold}, Completed orders hold {soldByCompleted.GetValueOrDefault(id)}");
            }
        });

        var couriers = await http.GetExistingAsync<JsonArray>(cluster.Delivery, "/couriers");
        Check("each courier's activeDeliveries = its Scheduled deliveries, within capacity", () =>
        {
            var scheduled = Orders.Where(o => (string?)o.Delivery?["status"] == "Scheduled")
                .GroupBy(o => (string?)o.Delivery!["courierId"] ?? "(none)").ToDictionary(g => g.Key, g => g.Count());
            foreach (var c in couriers.Select(c => c!.AsObject()))
            {
                var (id, active, capacity) = ((string)c["courierId"]!, (int)c["activeDeliveries"]!, (int)c["capacity"]!);
                if (active != scheduled.GetValueOrDefault(id)) Fail($"courier {id}: activeDeliveries {active}, Scheduled deliveries on it {scheduled.GetValueOrDefault(id)}");
                if (active > capacity) Fail($"courier {id}: {active} active deliveries over capacity {capacity}");
            }
            foreach (var unknown in scheduled.Keys.Except(couriers.Select(c => (string)c!["courierId"]!)))
                Fail($"deliveries Scheduled on unknown courier {unknown}");
        });

        var initial = StormCatalogue.DemoCredit.Append(new(run.StormBuyer, StormCatalogue.StormBuyerCredit)).ToDictionary();
        var balances = new Dictionary<string, decimal>();
        foreach (var customer in initial.Keys)
            balances[customer] = (decimal)(await http.GetExistingAsync<JsonObject>(cluster.Payment, $"/customers/{customer}"))["credit"]!;
        Check("credit conserved: per customer, balance + captured - refunded = initial credit (so no effect twice)", () =>
        {
            var captured = Orders.GroupBy(o => o.CustomerId ?? "").ToDictionary(g => g.Key, g => g.Sum(o => o.NetCaptured));
            foreach (var (customer, credit) in initial)
            {
                var held = captured.GetValueOrDefault(customer);
                if (balances[customer] + held != credit)
                    Fail($"customer {customer}: balance {balances[customer]} + captured {held} != initial {credit}");
            }
            foreach (var stranger in captured.Where(c => c.Value != 0 && !initial.ContainsKey(c.Key)))
                Fail($"customer {stranger.Key} was charged {stranger.Value} but has no account here");
        });
    }

    private async Task<OrderFinalState> ReadAsync(string id, StormOrder? placed)
    {
        var order = await http.GetAsync<JsonObject>(cluster.Order, $"/orders/{id}");
        var orchestrated = (string?)order?["flow"] == nameof(SagaFlow.Orchestration) || placed?.Flow == SagaFlow.Orchestration;
        return new OrderFinalState(
            id, placed, order,
            orchestrated ? await http.GetAsync<JsonObject>(cluster.Process, $"/order-processes/{id}") : null,
            await http.GetAsync<JsonObject>(cluster.Payment, $"/payments/{id}"),
            await http.GetAsync<JsonObject>(cluster.Inventory, $"/reservations/{id}"),
            await http.GetAsync<JsonObject>(cluster.Delivery, $"/deliveries/{id}"));
    }

    private string _current = "";

    private void Check(string invariant, Action check)
    {
        Checked.Add(invariant);
        _current = invariant;
        check();
    }

    private void Fail(string detail) => Violations.Add($"[{_current}] {detail}");

    // A rare race is seldom replayed: the report says what every service held for the order.
    private void Fail(OrderFinalState order, string detail) => Fail($"{detail}; {order.Describe()}");
}
