using DaprSaga.PaymentService.Customers;
using DaprSaga.PaymentService.Payments;

namespace DaprSaga.PaymentService;

public static class Extensions
{
    public static WebApplicationBuilder AddPayments(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentOptions>().BindConfiguration(PaymentOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<CustomerStore>();
        builder.Services.AddDemoData<DemoCustomers>();
        builder.Services.AddSingleton<PaymentOperations>();

        builder.Services.AddSubscription<StockReserved, OpenPaymentOnStockReserved>(SagaFlow.Choreography);
        builder.Services.AddSubscription<OrderCancelled, VoidPaymentOnOrderCancelled>(SagaFlow.Choreography);
        builder.Services.AddScheduledPass<PaymentExpiry>(Components.PaymentExpiry);
        builder.Services.AddOutbox<Payment, PaymentOperations>();
        return builder;
    }
}
