using DaprSaga.Contracts;
using DaprSaga.InventoryService;
using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.InventoryService);
builder.AddInventory();
builder.AddDeadLetters();

var app = builder.Build();
app.MapServiceDefaults();
app.MapProductsApi();
app.MapReservationsApi();
app.MapReservationCommandsApi();
app.MapReservationEvents();
app.MapDeadLetters();

app.Run();
