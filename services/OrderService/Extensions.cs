using DaprSaga.OrderService.Orders;
using DaprSaga.OrderService.Recovery;
using DaprSaga.OrderService.Timeline;

namespace DaprSaga.OrderService;

public static class Extensions
{
    public static WebApplicationBuilder AddOrders(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<OrderOptions>(builder.Configuration.GetSection(OrderOptions.Section));
        builder.Services.AddSingleton<OrderBook>();
        builder.Services.AddSingleton<OrchestratorSteps>();
        return builder;
    }
}
