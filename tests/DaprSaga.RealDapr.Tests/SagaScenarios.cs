
namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// The saga outcomes of the demo data (alice/widget/north, unobtainium, bob/gizmo, zone west;
/// docs/architecture.md, Demo data), each awaited until every service shows its final state.
/// Stock and credit are compared with what they were before the order, as the cluster is shared
/// by a class's tests.
/// </summary>
public static class SagaScenarios
{
    /// <summary>Real brokers and cron ticks in real time: the outbox sweep alone runs every 5 s.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(2);

    private sealed record Stock(decimal OnHand, decimal Reserved, decimal Sold);

    public static Task RunAsync(RealDaprCluster cluster, Scenario scenario, Flow flow) => scenario switch
    {
        Scenario.HappyOrderCompletes => HappyOrderCompletesAsync(cluster, flow),
        Scenario.OutOfStockOrderIsCancelled => OutOfStockOrderIsCancelledAsync(cluster, flow),
        Scenario.InsufficientCreditOrderIsCancelled => InsufficientCreditOrderIsCancelledAsync(cluster, flow),
        Scenario.NoCourierOrderIsRefundedReleasedAndCancelled => NoCourierOrderIsRefundedReleasedAndCancelledAsync(cluster, flow),
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null),
    };

    public static async Task HappyOrderCompletesAsync(RealDaprCluster cluster, Flow flow)
    {
        var credit = await CreditAsync(cluster, "alice");
        var widget = await StockAsync(cluster, "widget");

        var id = await cluster.BeginAsync(flow, "alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));

        await ExpectAsync(cluster, id, flow, "Completed", reason: null,
        [
            Field(cluster, AppIds.InventoryService, $"/reservations/{id}", "status", "Committed"),
            Field(cluster, AppIds.PaymentService, $"/payments/{id}", "status", "Confirmed"),
            Field(cluster, AppIds.PaymentService, $"/payments/{id}", "amount", 20.00m),
            Field(cluster, AppIds.DeliveryService, $"/deliveries/{id}", "status", "Scheduled"),
            Field(cluster, AppIds.PaymentService, "/customers/alice", "credit", credit - 20.00m),
            .. StockIs(cluster, "widget", widget with { OnHand = widget.OnHand - 2, Sold = widget.Sold + 2 }),
        ]);
    }

    public static async Task OutOfStockOrderIsCancelledAsync(RealDaprCluster cluster, Flow flow)
    {
        var credit = await CreditAsync(cluster, "alice");
        var unobtainium = await StockAsync(cluster, "unobtainium");

        var id = await cluster.BeginAsync(flow, "alice", "north", autoConfirmPayment: true, ("unobtainium", 1, 500.00m));

        List<Check> checks =
        [
            Field(cluster, AppIds.PaymentService, "/customers/alice", "credit", credit),
            .. StockIs(cluster, "unobtainium", unobtainium),
        ];
        // The choreography records the refused reservation (Scenarios ChoreographyScenarioTests).
        if (flow == Flow.Choreography) checks.Add(Field(cluster, AppIds.InventoryService, $"/reservations/{id}", "status", "Rejected"));
        await ExpectAsync(cluster, id, flow, "Cancelled", "OutOfStock", checks);
    }

    public static async Task InsufficientCreditOrderIsCancelledAsync(RealDaprCluster cluster, Flow flow)
    {
        var credit = await CreditAsync(cluster, "bob");
        var gizmo = await StockAsync(cluster, "gizmo");

        var id = await cluster.BeginAsync(flow, "bob", "north", autoConfirmPayment: true, ("gizmo", 1, 99.00m));

        await ExpectAsync(cluster, id, flow, "Cancelled", "InsufficientCredit",
        [
            // A refused confirmation cancels the payment, not only the request.
            Field(cluster, AppIds.PaymentService, $"/payments/{id}", "status", "Cancelled"),
            Field(cluster, AppIds.InventoryService, $"/reservations/{id}", "status", "Released"),
            Field(cluster, AppIds.PaymentService, "/customers/bob", "credit", credit),
            .. StockIs(cluster, "gizmo", gizmo),
        ]);
    }

    public static async Task NoCourierOrderIsRefundedReleasedAndCancelledAsync(RealDaprCluster cluster, Flow flow)
    {
        var credit = await CreditAsync(cluster, "alice");
        var widget = await StockAsync(cluster, "widget");

        var id = await cluster.BeginAsync(flow, "alice", "west", autoConfirmPayment: true, ("widget", 2, 10.00m));

        List<Check> checks =
        [
            Field(cluster, AppIds.PaymentService, $"/payments/{id}", "status", "Refunded"),
            Field(cluster, AppIds.InventoryService, $"/reservations/{id}", "status", "Released"),
            Field(cluster, AppIds.PaymentService, "/customers/alice", "credit", credit),
            .. StockIs(cluster, "widget", widget),
        ];
        if (flow == Flow.Choreography) checks.Add(Field(cluster, AppIds.DeliveryService, $"/deliveries/{id}", "status", "Failed"));
        await ExpectAsync(cluster, id, flow, "Cancelled", "NoCourierAvailable", checks);
    }

    /// <summary>
    /// The order's status and reason plus <paramref name="more"/>, all at once; for an orchestrated
    /// order also the orchestrator's, the engine that ran it as the order, its process and its
    /// timeline name it, and the orchestrator's lane drawn (order-service invoking order-process-service).
    /// </summary>
    private static Task ExpectAsync(RealDaprCluster cluster, string id, Flow flow, string status, string? reason, IEnumerable<Check> more)
    {
        List<Check> checks =
        [
            Field(cluster, AppIds.OrderService, $"/orders/{id}", "status", status),
            Field(cluster, AppIds.OrderService, $"/orders/{id}", "cancellationReason", reason),
            Field(cluster, AppIds.OrderService, $"/orders/{id}", "flow", flow.SagaFlow().ToString()),
        ];
        if (flow.IsOrchestrated())
        {
            var engine = flow.Engine().ToString();
            checks.Add(Field(cluster, AppIds.OrderProcessService, $"/order-processes/{id}", "status", status));
            checks.Add(Field(cluster, AppIds.OrderProcessService, $"/order-processes/{id}", "cancellationReason", reason));
            checks.Add(Field(cluster, AppIds.OrderProcessService, $"/order-processes/{id}", "engine", engine));
            checks.Add(Field(cluster, AppIds.OrderService, $"/orders/{id}", "engine", engine));
            checks.Add(Field(cluster, AppIds.OrderService, $"/orders/{id}/timeline", "engine", engine));
            checks.Add(Field(cluster, AppIds.OrderService, $"/orders/{id}/timeline", "orchestrator", "Drawn"));
        }
        checks.AddRange(more);
        return Eventually.AllHoldAsync(checks, Settle, async () => $"order {id} ({flow}, {cluster.Broker})\n{await cluster.SidecarLogsAsync()}");
    }

    private static Check Field(RealDaprCluster cluster, string appId, string path, string field, object? expected) =>
        new($"{appId}{path} {field}", expected, () => cluster.FieldAsync(appId, path, field));

    private static IEnumerable<Check> StockIs(RealDaprCluster cluster, string product, Stock stock) =>
    [
        Field(cluster, AppIds.InventoryService, $"/products/{product}", "onHand", stock.OnHand),
        Field(cluster, AppIds.InventoryService, $"/products/{product}", "reserved", stock.Reserved),
        Field(cluster, AppIds.InventoryService, $"/products/{product}", "sold", stock.Sold),
    ];

    private static Task<decimal> CreditAsync(RealDaprCluster cluster, string customer) =>
        NumberAsync(cluster, AppIds.PaymentService, $"/customers/{customer}", "credit");

    private static async Task<Stock> StockAsync(RealDaprCluster cluster, string product)
    {
        var path = $"/products/{product}";
        return new Stock(
            await NumberAsync(cluster, AppIds.InventoryService, path, "onHand"),
            await NumberAsync(cluster, AppIds.InventoryService, path, "reserved"),
            await NumberAsync(cluster, AppIds.InventoryService, path, "sold"));
    }

    private static async Task<decimal> NumberAsync(RealDaprCluster cluster, string appId, string path, string field) =>
        await cluster.FieldAsync(appId, path, field) switch
        {
            decimal number => number,
            var other => throw new InvalidOperationException($"{appId}{path} {field} is {other ?? "null"}, not a number."),
        };
}

/// <summary>The outcomes <see cref="SagaScenarios"/> drives, as test data.</summary>
public enum Scenario
{
    HappyOrderCompletes,
    OutOfStockOrderIsCancelled,
    InsufficientCreditOrderIsCancelled,
    NoCourierOrderIsRefundedReleasedAndCancelled,
}
