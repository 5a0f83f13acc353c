using Dapr.Client;
using DaprSaga.PaymentService.Customers;
using Microsoft.Extensions.Options;

namespace DaprSaga.PaymentService.Payments;

/// <summary>
/// The payment commands of both flows. A change that moves money is three single-key writes
/// anchored in the payment: decide the phase, apply it to the customer's ledger (once per order),
/// finish the phase. Whoever finds a payment in flight finishes it; every step is idempotent. An
/// unsettled payment stays in the outbox listing, where the sweep and the expiry find it.
/// </summary>
public sealed class PaymentOperations(
    DaprClient dapr, Outbox outbox, ServiceIdentity service, CustomerStore customers, DemoSeeding seeding,
    TimeProvider clock, IOptions<PaymentOptions> options, ILogger<PaymentOperations> log) : IListedWork<Payment>
{
    private const int MaxRounds = 8;
    private static readonly TimeSpan SeedWait = TimeSpan.FromSeconds(10);

    public static string KeyOf(string orderId) => $"payment-{orderId}";

    public Task<Payment?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Payment?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    /// <summary>Creates the payment once; with <paramref name="confirm"/> (pre-authorised) it is created debiting.</summary>
    public async Task<Payment> OpenAsync(
        string orderId, SagaFlow flow, string customerId, decimal amount, bool confirm, CancellationToken cancellationToken)
    {
        await seeding.Seeded.WaitAsync(SeedWait, cancellationToken);
        // Customers are never deleted, so "known" cannot turn false before the write below; its ETag can take the debit.
        var customer = InputRules.IsId(customerId) ? await customers.ReadAsync(customerId, cancellationToken) : null;
        var timeout = options.Value.ConfirmationTimeout;
        var payment = await ApplyAsync(orderId,
            (current, now) => PaymentRules.Open(current, orderId, flow, customerId, amount, customer is not null, now, timeout, preauthorised: confirm),
            cancellationToken, customer);
        return payment!;
    }

    public Task<Payment?> ConfirmAsync(string orderId, CancellationToken cancellationToken) =>
        ApplyAsync(orderId, PaymentRules.BeginConfirm, cancellationToken);

    public Task<Payment?> CancelAsync(string orderId, CancellationToken cancellationToken) =>
        ApplyAsync(orderId, PaymentRules.Cancel, cancellationToken);

    /// <summary>The compensation: cancel if Pending, refund if Confirmed, tombstone if none; never refuses.</summary>
    public async Task<Payment> VoidAsync(string orderId, SagaFlow flow, CancellationReason reason, CancellationToken cancellationToken)
    {
        var payment = await ApplyAsync(orderId,
            (current, now) => PaymentRules.Void(current, orderId, flow, reason, now), cancellationToken);
        return payment!;
    }

    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var due = (await outbox.ListedNotAtRestAsync<Payment>(cancellationToken))
            .Where(p => p.Phase == PaymentPhase.Pending && PaymentRules.IsDue(p, clock.GetUtcNow()))
            .Select(p => p.OrderId);
        var expired = 0;
        await RecoveryPass.RunAsync(due, async orderId =>
        {
            if (await ApplyAsync(orderId, PaymentRules.Expire, cancellationToken) is { Reason: CancellationReason.PaymentExpired }) expired++;
        }, log, cancellationToken);
        return expired;
    }

    /// <summary>The sweep's work: finishes every confirmation or refund a crash left in flight; a Pending one waits for its customer or its expiry.</summary>
    public async Task<IReadOnlyCollection<string>> CarryOnAsync(IReadOnlyDictionary<string, Payment> notAtRest, CancellationToken cancellationToken)
    {
        await RecoveryPass.RunAsync(notAtRest.Values.Where(p => p.IsInFlight).Select(p => p.OrderId),
            orderId => ApplyAsync(orderId, (current, _) => current, cancellationToken), log, cancellationToken);
        // Finishing moves a payment on, so none of them rests as read.
        return [];
    }

    /// <summary>Finishes any phase in flight, then decides on the settled payment: callers only see settled payments.</summary>
    private async Task<Payment?> ApplyAsync(
        string orderId, Func<Payment?, DateTimeOffset, Payment?> decide, CancellationToken cancellationToken, Stored<Customer>? customerAsRead = null)
    {
        var payment = await ChangeAsync(orderId, current => decide(current, clock.GetUtcNow()), cancellationToken);
        for (var round = 1; payment is { IsInFlight: true }; round++)
        {
            if (round > MaxRounds) throw new InvalidOperationException($"payment {orderId} did not settle after {MaxRounds} rounds");
            var settled = await FinishAsync(payment, customerAsRead, cancellationToken);
            customerAsRead = null;
            // What the finish stored is as fresh as a read: decide on it, and write only if that changes something.
            payment = decide(settled, clock.GetUtcNow()) is { } again && !ReferenceEquals(again, settled)
                ? await ChangeAsync(orderId, current => decide(current, clock.GetUtcNow()), cancellationToken)
                : settled;
        }
        return payment;
    }

    private async Task<Payment?> FinishAsync(Payment payment, Stored<Customer>? read, CancellationToken cancellationToken)
    {
        var (orderId, customerId) = (payment.OrderId, payment.CustomerId
            ?? throw new InvalidOperationException($"payment {payment.OrderId} is in flight without a customer"));
        var confirming = payment.Phase == PaymentPhase.Confirming;
        Func<Customer, Customer> money = confirming ? c => c.Debit(orderId, payment.Amount) : c => c.Refund(orderId);
        var customer = await customers.ChangeAsync(customerId, money, read, cancellationToken)
            ?? throw new InvalidOperationException($"customer {customerId} of payment {orderId} does not exist");
        var entry = customer.EntryFor(orderId);
        // Each finish acts only on its own phase: a concurrent finisher may have moved on already.
        return await ChangeAsync(orderId, current => current is null ? null
            : confirming ? PaymentRules.FinishConfirm(current, entry, clock.GetUtcNow())
            : PaymentRules.FinishRefund(current, entry, clock.GetUtcNow()), cancellationToken);
    }

    /// <summary>One conditional write with its events; the outbox lists a payment becoming unsettled before the write can land.</summary>
    private async Task<Payment?> ChangeAsync(string orderId, Func<Payment?, Payment?> decide, CancellationToken cancellationToken) =>
        (await outbox.ChangeAsync<Payment>(KeyOf(orderId), decide, cancellationToken)).Value;
}
