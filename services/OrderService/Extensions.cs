using DaprSaga.OrderService.Orders;
using DaprSaga.OrderService.Recovery;

namespace DaprSaga.OrderService;

public static class Extensions
{
    public static WebApplicationBuilder AddOrders(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<OrderOptions>(builder.Configuration.GetSection(OrderOptions.Section));
        builder.Services.AddSingleton<OrderBook>();
        return builder;
    }
}
