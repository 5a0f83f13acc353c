using DaprSaga.Contracts;
using DaprSaga.InventoryService;
using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;
using DaprSaga.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.InventoryService);
builder.AddInventory();

var app = builder.Build();
app.MapServiceDefaults();
app.MapProductsApi();
app.MapReservationsApi();
app.MapReservationCommandsApi();

app.Run();
