using DaprSaga.Contracts;
using DaprSaga.OrderProcessService;
using DaprSaga.OrderProcessService.Processes;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.OrderProcessService);
builder.AddOrderProcesses();
builder.AddDeadLetters();

var app = builder.Build();
app.MapServiceDefaults();
app.MapOrderProcessApi();
app.MapDeadLetters();

app.Run();
