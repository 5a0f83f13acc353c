namespace DaprSaga.PaymentService.Customers;

public enum LedgerEntryKind { Debited, Declined, Refunded }

/// <summary>What happened to the customer's credit for one order; at most one entry per order.</summary>
public sealed record LedgerEntry(decimal Amount, LedgerEntryKind Kind);

/// <summary>
/// Credit with a ledger per order in the same key, so one conditional write checks and applies a debit.
/// Entries are forgotten the retention window after they were written (<see cref="WrittenAt"/>).
/// </summary>
public sealed record Customer(
    string CustomerId, string Name, decimal Credit, IReadOnlyDictionary<string, LedgerEntry> Ledger,
    IReadOnlyDictionary<string, DateTimeOffset>? WrittenAt = null)
{
    public static Customer Open(string customerId, string name, decimal credit) =>
        new(customerId, name, credit, new Dictionary<string, LedgerEntry>());

    public LedgerEntry? EntryFor(string orderId) => Ledger.GetValueOrDefault(orderId);

    /// <summary>Once per order: a declined debit stays declined even if credit arrives later.</summary>
    public Customer Debit(string orderId, decimal amount)
    {
        if (Ledger.ContainsKey(orderId)) return this;
        return Credit >= amount
            ? this with { Credit = Credit - amount, Ledger = With(orderId, new(amount, LedgerEntryKind.Debited)) }
            : this with { Ledger = With(orderId, new(amount, LedgerEntryKind.Declined)) };
    }

    /// <summary>Gives back what the order debited, once; any other entry (or none) is left alone.</summary>
    public Customer Refund(string orderId) =>
        EntryFor(orderId) is { Kind: LedgerEntryKind.Debited } debit
            ? this with { Credit = Credit + debit.Amount, Ledger = With(orderId, debit with { Kind = LedgerEntryKind.Refunded }) }
            : this;

    /// <summary>Stamps new entries and forgets those written a <paramref name="window"/> ago; done at each write.</summary>
    public Customer Kept(DateTimeOffset now, TimeSpan window)
    {
        var (ledger, writtenAt) = SettledMarkers.Retain(Ledger, WrittenAt, _ => true, now, window);
        return this with { Ledger = ledger, WrittenAt = writtenAt };
    }

    private Dictionary<string, LedgerEntry> With(string orderId, LedgerEntry entry) =>
        new(Ledger, StringComparer.Ordinal) { [orderId] = entry };
}

/// <summary>The customer resource on the wire (the ledger stays inside).</summary>
public sealed record CustomerView(string CustomerId, string Name, decimal Credit)
{
    public static CustomerView Of(Customer customer) => new(customer.CustomerId, customer.Name, customer.Credit);
}
