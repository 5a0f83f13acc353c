using DaprSaga.OrderService;
using DaprSaga.OrderService.Orchestration;
using DaprSaga.OrderService.Orders;
using DaprSaga.OrderService.Timeline;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.OrderService);
builder.AddOrders();

var app = builder.Build();
app.MapServiceDefaults();
// The saga explorer is plain files in wwwroot/explorer; /explorer/ serves its index.html.
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapOrdersApi();
app.MapOrderCommandsApi();
app.MapTimelineApi();

app.Run();
