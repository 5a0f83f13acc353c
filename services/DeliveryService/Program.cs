using DaprSaga.Contracts;
using DaprSaga.DeliveryService;
using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.DeliveryService);
builder.AddDeliveries();

var app = builder.Build();
app.MapServiceDefaults();
app.MapCouriersApi();
app.MapDeliveriesApi();
app.MapDeliveryCommandsApi();

app.Run();
