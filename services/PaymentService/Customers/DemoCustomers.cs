namespace DaprSaga.PaymentService.Customers;

public sealed class DemoCustomers(CustomerStore customers) : IDemoData
{
    public static IReadOnlyList<Customer> All { get; } =
    [
        Customer.Open("alice", "Alice", 10000.00m),
        Customer.Open("bob", "Bob", 50.00m),
        Customer.Open("carol", "Carol", 0.00m),
    ];

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        foreach (var customer in All) await customers.CreateAsync(customer, cancellationToken);
    }
}
