using Dapr.Client;

namespace DaprSaga.PaymentService.Customers;

public sealed record StoredCustomer(Customer Value, string ETag);

/// <summary>Customers in payment-store, one key each; every change is one conditional write.</summary>
public sealed class CustomerStore(DaprClient dapr, ServiceIdentity service)
{
    public static string KeyOf(string customerId) => $"customer-{customerId}";

    public Task<Customer?> FindAsync(string customerId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Customer?>(service.StateStore, KeyOf(customerId), cancellationToken: cancellationToken);

    public async Task<StoredCustomer?> ReadAsync(string customerId, CancellationToken cancellationToken)
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
        var stored = await dapr.UpdateAsync<Customer>(service.StateStore, KeyOf(customerId), c => c is null ? null : change(c), cancellationToken);
        return stored.Value;
    }

    /// <summary>As above, first with <paramref name="read"/>'s ETag (no second read); reads afresh if that changes nothing or loses.</summary>
    public async Task<Customer?> ChangeAsync(
        string customerId, Func<Customer, Customer> change, StoredCustomer? read, CancellationToken cancellationToken)
    {
        if (read is { } earlier && earlier.Value.CustomerId == customerId && change(earlier.Value) is var next
            && !ReferenceEquals(next, earlier.Value)
            && await dapr.TrySaveStateAsync(service.StateStore, KeyOf(customerId), next, earlier.ETag, cancellationToken: cancellationToken))
        {
            return next;
        }
        return await ChangeAsync(customerId, change, cancellationToken);
    }
}
