using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>An event handler that runs a test's lambda.</summary>
public sealed class LambdaHandler<TEvent>(Func<TEvent, Task<HandlerOutcome>> handle) : IEventHandler<TEvent>
    where TEvent : class, IIntegrationEvent
{
    public Task<HandlerOutcome> HandleAsync(TEvent received, CancellationToken cancellationToken) => handle(received);
}

/// <summary>A scheduled pass that runs a test's lambda.</summary>
public sealed class LambdaPass(Func<int> run) : IScheduledPass
{
    public Task<int> RunAsync(CancellationToken cancellationToken) => Task.FromResult(run());
}

public static class TestRegistrations
{
    /// <summary>Subscribes <paramref name="handle"/> as the app's handler of <typeparamref name="TEvent"/>.</summary>
    public static WebApplicationBuilder Handle<TEvent>(this WebApplicationBuilder builder, Func<TEvent, Task<HandlerOutcome>> handle, SagaFlow? flow = null)
        where TEvent : class, IIntegrationEvent
    {
        builder.Services.AddSingleton(new LambdaHandler<TEvent>(handle));
        builder.Services.AddSubscription<TEvent, LambdaHandler<TEvent>>(flow);
        return builder;
    }

    public static WebApplicationBuilder Tick(this WebApplicationBuilder builder, string binding, Func<int> run)
    {
        builder.Services.AddSingleton(new LambdaPass(run));
        builder.Services.AddScheduledPass<LambdaPass>(binding);
        return builder;
    }
}
