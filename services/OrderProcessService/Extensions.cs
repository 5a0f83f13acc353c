using DaprSaga.OrderProcessService.Processes;
using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService;

public static class Extensions
{
    public static WebApplicationBuilder AddOrderProcesses(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<ProcessOptions>(builder.Configuration.GetSection("OrderProcess"));
        builder.Services.AddSingleton<Participants>();
        builder.Services.AddSingleton<ProcessIndexes>();
        builder.Services.AddSingleton<ProcessRunner>();
        builder.Services.AddSingleton<ProcessRecovery>();
        builder.Services.AddSingleton<ProcessWorker>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ProcessWorker>());
        builder.Services.AddHostedService<ProcessRecoveryAtStart>();
        return builder;
    }
}
