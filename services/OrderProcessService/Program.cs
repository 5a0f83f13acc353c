using DaprSaga.Contracts;
using DaprSaga.OrderProcessService;
using DaprSaga.OrderProcessService.Processes;
using DaprSaga.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.OrderProcessService);
builder.AddOrderProcesses();

var app = builder.Build();
app.MapServiceDefaults();
app.MapOrderProcessApi();

app.Run();
