using DaprSaga.Contracts;
using DaprSaga.OrderService;
using DaprSaga.OrderService.Choreography;
using DaprSaga.OrderService.Orchestration;
using DaprSaga.OrderService.Orders;
using DaprSaga.OrderService.Recovery;
using DaprSaga.OrderService.Timeline;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.OrderService);
builder.AddOrders();
builder.AddDeadLetters();

var app = builder.Build();
app.MapServiceDefaults();
// The saga explorer (wwwroot/explorer): plain files, /explorer/ serves its index.html.
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapOrdersApi();
app.MapOrderCommandsApi();
app.MapOrderEventHandlers();
app.MapRecoveryApi();
app.MapDeadLetters();
app.MapTimelineApi();

app.Run();
