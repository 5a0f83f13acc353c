using DaprSaga.Contracts;
using DaprSaga.OrderService.Orders;
using DaprSaga.ServiceDefaults.Messaging;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderService.Recovery;

public sealed class OrderOptions
{
    public const string Section = "Order";

    /// <summary>How long a saga may stay open before the recovery tick cancels it (SagaTimedOut).</summary>
    public TimeSpan SagaDeadline { get; set; } = TimeSpan.FromMinutes(30);
}

public sealed record RecoveryReport(int Cancelled);

public sealed record SweepReport(int Swept);

/// <summary>
/// The cron bindings: the saga deadline, so no order stays open forever (a dead-lettered event
/// included), and the outbox sweep, which sends what a crash left unsent.
/// </summary>
public static class RecoveryApi
{
    public static IEndpointRouteBuilder MapRecoveryApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapCronBinding(Components.OrderRecovery, async (OrderBook orders, IOptions<OrderOptions> options, CancellationToken cancellationToken) =>
            TypedResults.Ok(new RecoveryReport(await orders.CancelOverdueAsync(options.Value.SagaDeadline, cancellationToken))));
        endpoints.MapCronBinding(Components.OutboxSweep, async (Outbox outbox, CancellationToken cancellationToken) =>
            TypedResults.Ok(new SweepReport(await outbox.SweepAsync<Order>(cancellationToken))));
        return endpoints;
    }
}
