using DaprSaga.Contracts;
using DaprSaga.PaymentService;
using DaprSaga.PaymentService.Customers;
using DaprSaga.PaymentService.Payments;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.PaymentService);
builder.AddPayments();
builder.AddDeadLetters();

var app = builder.Build();
app.MapServiceDefaults();
app.MapCustomersApi();
app.MapPaymentsApi();
app.MapPaymentCommandsApi();
app.MapPaymentEvents();
app.MapPaymentMaintenanceApi();
app.MapDeadLetters();

app.Run();
