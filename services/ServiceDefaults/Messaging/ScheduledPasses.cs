using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>A recovery pass run on each tick of a cron input binding (sweep, expiry, resume).</summary>
public interface IScheduledPass
{
    /// <returns>How many items the pass moved on.</returns>
    Task<int> RunAsync(CancellationToken cancellationToken);
}

/// <summary>The answer to every cron tick: the binding and how many items its passes moved on.</summary>
public sealed record ScheduledPassReport(string Binding, int Handled);

public sealed record ScheduledPass(string Binding, Type PassType);

/// <summary>Sends what a crash left in <typeparamref name="T"/>'s outbox (see <see cref="Outbox.SweepAsync{T}"/>).</summary>
public sealed class OutboxSweep<T>(Outbox outbox) : IScheduledPass where T : class, IOutboxRecord<T>
{
    public Task<int> RunAsync(CancellationToken cancellationToken) => outbox.SweepAsync<T>(cancellationToken);
}

public static class ScheduledPasses
{
    /// <summary>Runs <typeparamref name="TPass"/> on each tick of the cron binding <paramref name="binding"/>, after the passes registered before it.</summary>
    public static IServiceCollection AddScheduledPass<TPass>(this IServiceCollection services, string binding)
        where TPass : class, IScheduledPass
    {
        services.TryAddSingleton<TPass>();
        services.AddSingleton(new ScheduledPass(binding, typeof(TPass)));
        return services;
    }

    /// <summary>The outbox of <typeparamref name="T"/> records, swept on the `outbox-sweep` binding.</summary>
    public static IServiceCollection AddOutbox<T>(this IServiceCollection services) where T : class, IOutboxRecord<T> =>
        services.AddScheduledPass<OutboxSweep<T>>(Contracts.Components.OutboxSweep);

    /// <summary>
    /// One endpoint per binding: daprd POSTs to /{binding} on each tick, with APP_API_TOKEN when
    /// configured. At start it probes OPTIONS /{binding} and delivers only on 2xx or 405 (dapr
    /// pkg/runtime/processor/binding), so the probe is answered openly: a 401 would disable it.
    /// </summary>
    internal static void MapScheduledPasses(this IEndpointRouteBuilder endpoints)
    {
        foreach (var binding in endpoints.ServiceProvider.GetServices<ScheduledPass>().GroupBy(p => p.Binding))
        {
            var passes = binding.Select(p => p.PassType).ToList();
            endpoints.MapMethods("/" + binding.Key, [HttpMethods.Options], () => TypedResults.Ok()).AllowAnonymous().ExcludeFromDescription();
            endpoints.MapPost("/" + binding.Key, async (HttpContext http) =>
            {
                var handled = 0;
                foreach (var pass in passes)
                    handled += await ((IScheduledPass)http.RequestServices.GetRequiredService(pass)).RunAsync(http.RequestAborted);
                return TypedResults.Ok(new ScheduledPassReport(binding.Key, handled));
            })
            .RequireDaprAppToken()
            .ExcludeFromDescription();
        }
    }
}
