using DaprSaga.DeliveryService;
using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.DeliveryService);
builder.AddDeliveries();

var app = builder.Build();
app.MapServiceDefaults();
app.MapCouriersApi();
app.MapDeliveriesApi();
app.MapDeliveryCommandsApi();

app.Run();
