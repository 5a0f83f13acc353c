using DaprSaga.Contracts;

namespace DaprSaga.Bench.Driver;

/// <summary>What a saga of the mix is meant to end as.</summary>
public enum Outcome { Happy, OutOfStock, InsufficientCredit, NoCourier }

/// <summary>One planned saga: who buys what (a customer slot of <see cref="Workload.CreditOf"/>), where, and how it must end.</summary>
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
/// benchmark's own, so no demo key is hot or runs out. Customers and couriers grow with the run
/// (one customer per 20 sagas, one courier per 250), as a shop's do with its orders, so a long run
/// does not pile a month of one customer's orders into one record; the products stay few and hot.
/// Everything is derived from the saga index, so the expected end state of every saga and every
/// resource is known up front.
/// </summary>
public sealed class Workload
{
    public const int ProductCount = 16;
    public const string Zone = "bench";
    public const string NoCourierZone = "west";
    public const string EmptyProduct = "bench-empty";
    public const decimal EmptyProductPrice = 5.00m;
    public const decimal PoorCustomerCredit = 1.00m;

    public Workload(int count)
    {
        RichCustomerCount = Math.Max(32, count / 20);
        // One in 20 sagas is a poor customer's, so each poor customer has about 20 too.
        PoorCustomerCount = Math.Max(1, count / 400);
        CourierCount = Math.Max(8, count / 250);
        Sagas = Enumerable.Range(0, count).Select(Plan).ToList();
        var reserving = Sagas.Where(s => s.Outcome != Outcome.OutOfStock).ToList();
        var happy = Sagas.Where(s => s.Outcome == Outcome.Happy).ToList();
        // Room for every saga that reserves, so stock never decides an outcome.
        InitialStock = Enumerable.Range(0, ProductCount).ToDictionary(ProductId,
            k => Sagas.SelectMany(s => s.Items).Where(i => i.ProductId == ProductId(k)).Sum(i => i.Quantity) + 5);
        ExpectedSold = Enumerable.Range(0, ProductCount).ToDictionary(ProductId,
            k => happy.SelectMany(s => s.Items).Where(i => i.ProductId == ProductId(k)).Sum(i => i.Quantity));
        InitialCredit = Enumerable.Range(0, RichCustomerCount).Select(c => reserving
            .Where(s => s.Outcome != Outcome.InsufficientCredit && s.CustomerSlot == c).Sum(s => s.Total) + 100m).ToList();
        ExpectedDebit = Enumerable.Range(0, RichCustomerCount).Select(c => happy.Where(s => s.CustomerSlot == c).Sum(s => s.Total)).ToList();
        CourierCapacity = happy.Count / CourierCount + 2;
        HappyCount = happy.Count;
    }

    public IReadOnlyList<SagaPlan> Sagas { get; }

    public int RichCustomerCount { get; }

    public int PoorCustomerCount { get; }

    /// <summary>Slots 0 to <see cref="RichCustomerCount"/> − 1 are rich, the poor ones follow.</summary>
    public int CustomerCount => RichCustomerCount + PoorCustomerCount;

    public int CourierCount { get; }

    public IReadOnlyDictionary<string, int> InitialStock { get; }

    public IReadOnlyDictionary<string, int> ExpectedSold { get; }

    /// <summary>Per rich customer slot.</summary>
    public IReadOnlyList<decimal> InitialCredit { get; }

    public IReadOnlyList<decimal> ExpectedDebit { get; }

    /// <summary>A slot's credit at the start and once quiet: a poor customer is never debited.</summary>
    public (decimal Initial, decimal Final) CreditOf(int slot) => slot < RichCustomerCount
        ? (InitialCredit[slot], InitialCredit[slot] - ExpectedDebit[slot])
        : (PoorCustomerCredit, PoorCustomerCredit);

    public int CourierCapacity { get; }

    public int HappyCount { get; }

    public static string ProductId(int k) => $"bench-p{k:00}";

    public static decimal PriceOf(int k) => 10.00m + k * 1.25m;

    public static string CourierId(int k) => $"bench-courier-{k}";

    private SagaPlan Plan(int i)
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
        var slot = outcome == Outcome.InsufficientCredit ? RichCustomerCount + (i / 20 % PoorCustomerCount) : i % RichCustomerCount;
        return new SagaPlan(i, outcome, slot, items,
            outcome == Outcome.NoCourier ? NoCourierZone : Zone);
    }
}
