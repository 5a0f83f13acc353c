using DaprSaga.Contracts;

namespace DaprSaga.Bench.Driver;

/// <summary>What a saga of the mix is meant to end as.</summary>
public enum Outcome { Happy, OutOfStock, InsufficientCredit, NoCourier }

/// <summary>One planned saga: who buys what, where, and how it must end.</summary>
public sealed record SagaPlan(int Index, Outcome Outcome, int CustomerSlot, IReadOnlyList<(string ProductId, int Quantity, decimal UnitPrice)> Items, string Zone)
{
    public decimal Total => Items.Sum(i => i.Quantity * i.UnitPrice);

    public (string Status, CancellationReason? Reason) Expected => Outcome switch
    {
        Outcome.Happy => ("Completed", null),
        Outcome.OutOfStock => ("Cancelled", CancellationReason.OutOfStock),
        Outcome.InsufficientCredit => ("Cancelled", CancellationReason.InsufficientCredit),
        _ => ("Cancelled", CancellationReason.NoCourierAvailable),
    };
}

/// <summary>
/// The fixed mix (of every 20 sagas: 17 succeed, 1 out of stock, 1 insufficient credit, 1 with no
/// courier in its zone) and the resources sized for it: products, customers and couriers of the
/// benchmark's own, so no demo key is hot or runs out. Everything is derived from the saga
/// index, so the expected end state of every saga and every resource is known up front.
/// </summary>
public sealed class Workload
{
    public const int ProductCount = 16;
    public const int CustomerCount = 32;
    public const int CourierCount = 8;
    public const string Zone = "bench";
    public const string NoCourierZone = "west";
    public const string EmptyProduct = "bench-empty";
    public const decimal EmptyProductPrice = 5.00m;
    public const decimal PoorCustomerCredit = 1.00m;

    public Workload(int count)
    {
        Sagas = Enumerable.Range(0, count).Select(Plan).ToList();
        var reserving = Sagas.Where(s => s.Outcome != Outcome.OutOfStock).ToList();
        var happy = Sagas.Where(s => s.Outcome == Outcome.Happy).ToList();
        // Room for every saga that reserves, so stock never decides an outcome.
        InitialStock = Enumerable.Range(0, ProductCount).ToDictionary(ProductId,
            k => Sagas.SelectMany(s => s.Items).Where(i => i.ProductId == ProductId(k)).Sum(i => i.Quantity) + 5);
        ExpectedSold = Enumerable.Range(0, ProductCount).ToDictionary(ProductId,
            k => happy.SelectMany(s => s.Items).Where(i => i.ProductId == ProductId(k)).Sum(i => i.Quantity));
        InitialCredit = Enumerable.Range(0, CustomerCount).Select(c => reserving
            .Where(s => s.Outcome != Outcome.InsufficientCredit && s.CustomerSlot == c).Sum(s => s.Total) + 100m).ToList();
        ExpectedDebit = Enumerable.Range(0, CustomerCount).Select(c => happy.Where(s => s.CustomerSlot == c).Sum(s => s.Total)).ToList();
        CourierCapacity = happy.Count / CourierCount + 2;
        HappyCount = happy.Count;
    }

    public IReadOnlyList<SagaPlan> Sagas { get; }

    public IReadOnlyDictionary<string, int> InitialStock { get; }

    public IReadOnlyDictionary<string, int> ExpectedSold { get; }

    /// <summary>Per rich customer slot; the poor customer (slot -1) has <see cref="PoorCustomerCredit"/>.</summary>
    public IReadOnlyList<decimal> InitialCredit { get; }

    public IReadOnlyList<decimal> ExpectedDebit { get; }

    public int CourierCapacity { get; }

    public int HappyCount { get; }

    public static string ProductId(int k) => $"bench-p{k:00}";

    public static decimal PriceOf(int k) => 10.00m + k * 1.25m;

    public static string CourierId(int k) => $"bench-courier-{k}";

    private static SagaPlan Plan(int i)
    {
        var outcome = (i % 20) switch
        {
            3 => Outcome.OutOfStock,
            10 => Outcome.InsufficientCredit,
            17 => Outcome.NoCourier,
            _ => Outcome.Happy,
        };
        var k = i % ProductCount;
        (string, int, decimal) line = (ProductId(k), 1 + i % 3, PriceOf(k));
        // Out of stock: all or nothing, so the available line must not be reserved either.
        IReadOnlyList<(string, int, decimal)> items = outcome == Outcome.OutOfStock ? [line, (EmptyProduct, 1, EmptyProductPrice)] : [line];
        return new SagaPlan(i, outcome, outcome == Outcome.InsufficientCredit ? -1 : i % CustomerCount, items,
            outcome == Outcome.NoCourier ? NoCourierZone : Zone);
    }
}
