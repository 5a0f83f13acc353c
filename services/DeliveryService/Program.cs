using DaprSaga.Contracts;
using DaprSaga.DeliveryService;
using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.DeliveryService);
builder.AddDeliveryServices();

var app = builder.Build();
app.MapServiceDefaults();
app.MapCourierApi();
app.MapDeliveryApi();
app.MapDeliveryCommands();
app.MapDeliveryEvents();

app.Run();
