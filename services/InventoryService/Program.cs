using DaprSaga.InventoryService;
using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(AppIds.InventoryService);
builder.AddInventory();

var app = builder.Build();
app.MapServiceDefaults();
app.MapProductsApi();
app.MapReservationsApi();
app.MapReservationCommandsApi();

app.Run();
