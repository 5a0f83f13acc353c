using DaprSaga.PaymentService;
using DaprSaga.PaymentService.Customers;
using DaprSaga.PaymentService.Payments;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.PaymentService);
builder.AddPayments();

var app = builder.Build();
app.MapServiceDefaults();
app.MapCustomersApi();
app.MapPaymentsApi();
app.MapPaymentCommandsApi();

app.Run();
