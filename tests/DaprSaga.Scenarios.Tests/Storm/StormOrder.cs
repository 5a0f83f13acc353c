
namespace DaprSaga.Scenarios.Tests.Storm;

/// <summary>What the customer does about a payment that waits for them.</summary>
public enum CustomerMove
{
    /// <summary>The payment confirms itself (autoConfirmPayment).</summary>
    AutoConfirm,
    Confirm,
    CancelPayment,
    CancelOrder,
    /// <summary>Confirm the payment and cancel the order at the same moment.</summary>
    ConfirmRacingOrderCancel,
    /// <summary>Confirm and cancel the payment at the same moment.</summary>
    ConfirmRacingPaymentCancel,
    /// <summary>Do nothing: the payment expires.</summary>
    LetExpire,
}

public sealed record StormLine(string ProductId, int Quantity, decimal UnitPrice);

/// <summary>One order of a storm, drawn from the seed; <see cref="OrderId"/> is set once it is placed.</summary>
public sealed record StormOrder(int Number, SagaFlow Flow, string CustomerId, IReadOnlyList<StormLine> Items, string Zone, CustomerMove Move)
{
    public string? OrderId { get; set; }

    /// <summary>The engine an orchestrated order is started on; null for choreography.</summary>
    public SagaEngine? Engine { get; set; }

    public bool AutoConfirm => Move == CustomerMove.AutoConfirm;

    /// <summary>
    /// Why this order cannot complete whatever the faults and races do, or null when its outcome
    /// may depend on them (stock and courier slots taken by other orders, races, timeouts).
    /// </summary>
    public string? MustCancelBecause =>
        Items.Any(i => i.ProductId == StormCatalogue.OutOfStock) ? "it orders a product with no stock"
        : Items.Any(i => i.ProductId == StormCatalogue.Unknown) ? "it orders an unknown product"
        : Items.Any(i => i.ProductId == StormCatalogue.Widget && i.UnitPrice != StormCatalogue.WidgetPrice) ? "its price is stale"
        : CustomerId == StormCatalogue.UnknownCustomer ? "its customer is unknown"
        : CustomerId == StormCatalogue.Broke ? "its customer has no credit"
        : Zone == StormCatalogue.ZoneWithoutCouriers ? "no courier serves its zone"
        : Move is CustomerMove.CancelPayment or CustomerMove.CancelOrder or CustomerMove.LetExpire ? $"the customer chose {Move}"
        : null;
}

/// <summary>The demo data (docs/architecture.md) the storm draws from, and the seeded draw of an order.</summary>
public static class StormCatalogue
{
    public const string Widget = "widget";
    public const decimal WidgetPrice = 10.00m;
    public const string OutOfStock = "unobtainium";
    public const string Unknown = "no-such-product";
    public const string UnknownCustomer = "zed";
    public const string Broke = "carol";
    public const string ZoneWithoutCouriers = "west";

    /// <summary>The demo customers and their starting credit.</summary>
    public static readonly IReadOnlyDictionary<string, decimal> DemoCredit = new Dictionary<string, decimal>
    {
        ["alice"] = 10000.00m,
        ["bob"] = 50.00m,
        ["carol"] = 0.00m,
    };

    /// <summary>Credit of the customer the storm opens, small so it runs out part way (a race-dependent outcome).</summary>
    public const decimal StormBuyerCredit = 300.00m;

    public static StormOrder Draw(Random random, int number, string stormBuyer)
    {
        var flow = random.Next(2) == 0 ? SagaFlow.Choreography : SagaFlow.Orchestration;
        var customer = Pick(random, ("alice", 55), (stormBuyer, 20), ("bob", 12), (Broke, 6), (UnknownCustomer, 7));
        var zone = Pick(random, ("north", 45), ("south", 30), ("east", 15), (ZoneWithoutCouriers, 10));
        var lines = Enumerable.Range(0, random.Next(10) < 8 ? 1 : 2).Select(_ => DrawLine(random))
            .GroupBy(l => l.ProductId).Select(g => g.First()).ToList();
        var move = random.Next(100) < 50
            ? CustomerMove.AutoConfirm
            : Pick(random,
                (CustomerMove.Confirm, 35), (CustomerMove.CancelPayment, 12), (CustomerMove.CancelOrder, 13),
                (CustomerMove.ConfirmRacingOrderCancel, 15), (CustomerMove.ConfirmRacingPaymentCancel, 15), (CustomerMove.LetExpire, 10));
        return new StormOrder(number, flow, customer, lines, zone, move);
    }

    private static StormLine DrawLine(Random random) => Pick(random,
        (new StormLine(Widget, random.Next(1, 4), WidgetPrice), 45),
        (new StormLine("gadget", random.Next(1, 3), 25.00m), 25),
        (new StormLine("gizmo", 1, 99.00m), 12),
        (new StormLine(OutOfStock, 1, 500.00m), 6),
        (new StormLine(Widget, 1, 9.00m), 6),
        (new StormLine(Unknown, 1, 1.00m), 6));

    private static T Pick<T>(Random random, params (T Value, int Weight)[] choices)
    {
        var roll = random.Next(choices.Sum(c => c.Weight));
        foreach (var (value, weight) in choices)
        {
            if (roll < weight) return value;
            roll -= weight;
        }
        throw new InvalidOperationException("weights exhausted");
    }
}
