using DaprSaga.Contracts;
using DaprSaga.OrderService;
using DaprSaga.OrderService.Choreography;
using DaprSaga.OrderService.Orchestration;
using DaprSaga.OrderService.Orders;
using DaprSaga.OrderService.Recovery;
using DaprSaga.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.OrderService);
builder.AddOrders();

var app = builder.Build();
app.MapServiceDefaults();
app.MapOrdersApi();
app.MapOrderCommandsApi();
app.MapOrderEventHandlers();
app.MapRecoveryApi();

app.Run();
