using DaprSaga.PaymentService.Customers;
using DaprSaga.PaymentService.Payments;
using DaprSaga.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.PaymentService.Tests;

/// <summary>payment-service on the shared <see cref="ServiceHost{TEntryPoint}"/>, ready once its demo customers are seeded.</summary>
public sealed class PaymentApp : ServiceHost<Payment>
{
    public static readonly DateTimeOffset Start = ServiceHostOptions.DefaultStart;

    private PaymentApp(FaultPlan? faults)
        : base(AppIds.PaymentService, new ServiceHostOptions { Faults = faults })
    {
    }

    public static Task<PaymentApp> StartAsync(FaultPlan? faults = null) => LaunchAsync(new PaymentApp(faults));

    protected override Task ReadyAsync() => Services.GetRequiredService<DemoSeeding>().Seeded;

    public Task<PaymentView?> PaymentAsync(string orderId) => GetAsync<PaymentView>($"/payments/{orderId}");

    public async Task<decimal> CreditAsync(string customerId) => (await GetAsync<CustomerView>($"/customers/{customerId}"))!.Credit;
}
