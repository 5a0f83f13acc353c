using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.PaymentService.Payments;

/// <summary>The cron input bindings daprd POSTs to: payment expiry and the recovery sweep.</summary>
public static class PaymentMaintenanceApi
{
    public sealed record SweepResult(int Expired = 0, int OutboxKeys = 0, int Resumed = 0);

    public static IEndpointRouteBuilder MapPaymentMaintenanceApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapCronBinding(Components.PaymentExpiry, async (PaymentOperations payments, CancellationToken cancellationToken) =>
            TypedResults.Ok(new SweepResult(Expired: await payments.ExpireDueAsync(cancellationToken))));

        // Sends what a crash left in an outbox, then finishes what it left in flight.
        endpoints.MapCronBinding(Components.OutboxSweep, async (Outbox outbox, PaymentOperations payments, CancellationToken cancellationToken) =>
        {
            var outboxKeys = await outbox.SweepAsync<Payment>(cancellationToken);
            return TypedResults.Ok(new SweepResult(OutboxKeys: outboxKeys, Resumed: await payments.ResumeUnfinishedAsync(cancellationToken)));
        });
        return endpoints;
    }
}
