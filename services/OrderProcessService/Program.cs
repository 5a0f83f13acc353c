using DaprSaga.OrderProcessService;
using DaprSaga.OrderProcessService.Processes;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.OrderProcessService);
builder.AddOrderProcesses();

var app = builder.Build();
app.MapServiceDefaults();
app.MapOrderProcessApi();

app.Run();
