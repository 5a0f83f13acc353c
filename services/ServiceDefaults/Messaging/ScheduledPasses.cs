using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>A recovery pass run on each tick of a cron input binding (sweep, expiry, resume).</summary>
public interface IScheduledPass
{
    Task<int> RunAsync(CancellationToken cancellationToken);
}

public sealed record ScheduledPassReport(string Binding, int Handled);

public sealed record ScheduledPass(string Binding, Type PassType);

public sealed class OutboxSweep<T>(Outbox outbox, IListedWork<T>? work = null) : IScheduledPass where T : class, IOutboxRecord<T>
{
    public Task<int> RunAsync(CancellationToken cancellationToken) => outbox.SweepAsync(cancellationToken, work);
}

public static class ScheduledPasses
{
    /// <summary>Passes of one binding run in the order they were added.</summary>
    public static IServiceCollection AddScheduledPass<TPass>(this IServiceCollection services, string binding)
        where TPass : class, IScheduledPass
    {
        services.TryAddSingleton<TPass>();
        services.AddSingleton(new ScheduledPass(binding, typeof(TPass)));
        return services;
    }

    public static IServiceCollection AddOutbox<T>(this IServiceCollection services) where T : class, IOutboxRecord<T> =>
        services.AddScheduledPass<OutboxSweep<T>>(Contracts.Components.OutboxSweep);

    /// <summary>An outbox whose sweep also has <typeparamref name="TWork"/> carry on the listed records not at rest.</summary>
    public static IServiceCollection AddOutbox<T, TWork>(this IServiceCollection services)
        where T : class, IOutboxRecord<T>
        where TWork : class, IListedWork<T>
    {
        services.TryAddSingleton<TWork>();
        services.AddSingleton<IListedWork<T>>(sp => sp.GetRequiredService<TWork>());
        return services.AddOutbox<T>();
    }

    // daprd probes OPTIONS /{binding} at start and fires only on 2xx or 405: the probe stays open.
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
