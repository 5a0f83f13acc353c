using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>
/// Whether the call being served is one its caller repeats until it succeeds (daprd's deliveries, the orchestrator's
/// commands): its repeat sends what it could not, so the outbox need not list for that (docs/architecture.md, Outbox).
/// </summary>
public static class CallRepeats
{
    private static readonly AsyncLocal<bool> Serving = new();

    public static bool UntilDone => Serving.Value;

    /// <summary>Runs <paramref name="call"/> as such a call; the mark ends with it.</summary>
    public static async Task<T> ServeAsync<T>(Func<Task<T>> call)
    {
        Serving.Value = true;
        return await call();
    }

    /// <summary>Serves the endpoints as calls their caller repeats until done.</summary>
    public static TBuilder RepeatedByItsCaller<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter((context, next) => new ValueTask<object?>(ServeAsync(() => next(context).AsTask())));
}
