using Dapr.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults;

/// <summary>An app's demo records (docs/architecture.md, Demo data), created when absent and never overwritten.</summary>
public interface IDemoData
{
    Task SeedAsync(CancellationToken cancellationToken);
}

/// <summary>Seeds once the sidecar answers (the app may start first); a lookup of demo data may await <see cref="Seeded"/>.</summary>
public sealed class DemoSeeding(IDemoData data, DaprClient dapr, ILogger<DemoSeeding> log) : BackgroundService
{
    private readonly TaskCompletionSource _seeded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public Task Seeded => _seeded.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var wait = TimeSpan.FromSeconds(1); ; wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, MaxWait.Ticks)))
        {
            try
            {
                await dapr.WaitForSidecarAsync(stoppingToken);
                await data.SeedAsync(stoppingToken);
                _seeded.TrySetResult();
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // One line, not a stack trace per attempt: a sidecar that is not up yet is expected.
                log.LogWarning("Seeding the demo data failed ({Reason}); trying again in {Wait}", e.GetBaseException().Message, wait);
                // Wall-clock on purpose: a test's fake clock must not stall start-up.
                await Task.Delay(wait, stoppingToken);
            }
        }
    }
}

public static class DemoDataExtensions
{
    public static IServiceCollection AddDemoData<TData>(this IServiceCollection services) where TData : class, IDemoData
    {
        services.AddSingleton<IDemoData, TData>();
        services.AddSingleton<DemoSeeding>();
        services.AddHostedService(provider => provider.GetRequiredService<DemoSeeding>());
        return services;
    }
}
