using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.OrderService);

var app = builder.Build();
app.MapServiceDefaults();

app.Run();
