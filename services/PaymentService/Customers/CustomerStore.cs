using Dapr.Client;

namespace DaprSaga.PaymentService.Customers;

/// <summary>Customers in payment-store, one key each; every change is one conditional write.</summary>
public sealed class CustomerStore(DaprClient dapr, ServiceIdentity service)
{
    public static string KeyOf(string customerId) => $"customer-{customerId}";

    public Task<Customer?> FindAsync(string customerId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Customer?>(service.StateStore, KeyOf(customerId), cancellationToken: cancellationToken);

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
}
