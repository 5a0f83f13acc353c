using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.PaymentService);

var app = builder.Build();
app.MapServiceDefaults();

app.Run();
