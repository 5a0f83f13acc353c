using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;

namespace DaprSaga.DeliveryService;

public static class Extensions
{
    public static WebApplicationBuilder AddDeliveryServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CourierRoster>();
        builder.Services.AddSingleton<DeliveryDispatcher>();
        builder.Services.AddSingleton<DemoCouriers>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DemoCouriers>());
        return builder;
    }
}
