using DaprSaga.PaymentService.Customers;
using DaprSaga.PaymentService.Payments;

namespace DaprSaga.PaymentService;

public static class Extensions
{
    public static WebApplicationBuilder AddPayments(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentOptions>().BindConfiguration(PaymentOptions.Section);
        builder.Services.AddSingleton<CustomerStore>();
        builder.Services.AddSingleton<DemoCustomerSeeder>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DemoCustomerSeeder>());
        builder.Services.AddSingleton<PaymentOperations>();
        return builder;
    }
}
