using DaprSaga.Contracts;
using DaprSaga.DeliveryService;
using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.DeliveryService);
builder.AddDeliveryServices();
builder.AddDeadLetters();

var app = builder.Build();
app.MapServiceDefaults();
app.MapCourierApi();
app.MapDeliveryApi();
app.MapDeliveryCommands();
app.MapDeliveryEvents();
app.MapDeadLetters();

app.Run();
