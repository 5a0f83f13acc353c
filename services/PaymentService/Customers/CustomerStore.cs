using Dapr.Client;
using Microsoft.Extensions.Options;

namespace DaprSaga.PaymentService.Customers;

/// <summary>
/// Customers in payment-store, one key each; every change is one conditional write, which also forgets
/// the ledger entries written a retention window ago, so a customer stops growing.
/// </summary>
public sealed class CustomerStore(DaprClient dapr, ServiceIdentity service, TimeProvider time, IOptions<RetentionOptions> retention)
{
    public static string KeyOf(string customerId) => $"customer-{customerId}";

    public Task<Customer?> FindAsync(string customerId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Customer?>(service.StateStore, KeyOf(customerId), cancellationToken: cancellationToken);

    public async Task<Stored<Customer>?> ReadAsync(string customerId, CancellationToken cancellationToken)
    {
        var (customer, etag) = await dapr.GetStateAndETagAsync<Customer?>(service.StateStore, KeyOf(customerId), cancellationToken: cancellationToken);
        return customer is null || string.IsNullOrEmpty(etag) ? null : new(customer, etag);
    }

    /// <summary>Creates the customer only if absent (first-write); returns what is stored.</summary>
    public async Task<Customer> CreateAsync(Customer customer, CancellationToken cancellationToken)
    {
        var stored = await dapr.UpdateAsync<Customer>(service.StateStore, KeyOf(customer.CustomerId), c => c ?? customer, cancellationToken);
        return stored.Value!;
    }

    /// <summary>Applies <paramref name="change"/> with the key's ETag; null when there is no such customer.</summary>
    public async Task<Customer?> ChangeAsync(string customerId, Func<Customer, Customer> change, CancellationToken cancellationToken)
    {
        var stored = await dapr.UpdateAsync<Customer>(service.StateStore, KeyOf(customerId), c => c is null ? null : Keeping(change)(c), cancellationToken);
        return stored.Value;
    }

    /// <summary>As above, first with <paramref name="read"/>'s ETag (no second read); reads afresh if that changes nothing or loses.</summary>
    public async Task<Customer?> ChangeAsync(
        string customerId, Func<Customer, Customer> change, Stored<Customer>? read, CancellationToken cancellationToken)
    {
        if (read is { } earlier && earlier.Value.CustomerId == customerId && Keeping(change)(earlier.Value) is var next
            && !ReferenceEquals(next, earlier.Value)
            && await dapr.TrySaveStateAsync(service.StateStore, KeyOf(customerId), next, earlier.ETag, cancellationToken: cancellationToken))
        {
            return next;
        }
        return await ChangeAsync(customerId, change, cancellationToken);
    }

    private Func<Customer, Customer> Keeping(Func<Customer, Customer> change) =>
        c => change(c) is var next && !ReferenceEquals(next, c) ? next.Kept(time.GetUtcNow(), retention.Value.Window) : c;
}
