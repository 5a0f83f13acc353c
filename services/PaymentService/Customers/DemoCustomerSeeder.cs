using Dapr;

namespace DaprSaga.PaymentService.Customers;

/// <summary>
/// Seeds the demo customers (docs/architecture.md, Demo data) when absent (first-write, so a restart or a second replica
/// changes nothing), retrying until the sidecar answers. <see cref="Seeded"/> lets "is this
/// customer known?" wait for the seed instead of refusing a demo customer during start-up.
/// </summary>
public sealed class DemoCustomerSeeder(CustomerStore customers, ILogger<DemoCustomerSeeder> log) : BackgroundService
{
    public static IReadOnlyList<Customer> DemoCustomers { get; } =
    [
        Customer.Open("alice", "Alice", 10000.00m),
        Customer.Open("bob", "Bob", 50.00m),
        Customer.Open("carol", "Carol", 0.00m),
    ];

    private readonly TaskCompletionSource _seeded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Seeded => _seeded.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                foreach (var customer in DemoCustomers) await customers.CreateAsync(customer, stoppingToken);
                _seeded.TrySetResult();
                return;
            }
            catch (DaprException e)
            {
                log.LogInformation(e, "Sidecar not ready to seed demo customers; retrying");
                // Wall-clock back-off on purpose: a test's fake clock must not stall start-up.
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
