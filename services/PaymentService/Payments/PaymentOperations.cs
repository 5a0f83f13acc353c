using Dapr.Client;
using DaprSaga.PaymentService.Customers;
using Microsoft.Extensions.Options;

namespace DaprSaga.PaymentService.Payments;

/// <summary>
/// The payment commands of both flows. A change that moves money is three single-key writes
/// anchored in the payment: decide the phase, apply it to the customer's ledger (once per order),
/// finish the phase. Whoever finds a payment in flight finishes it; every step is idempotent.
/// </summary>
public sealed class PaymentOperations(
    DaprClient dapr, Outbox outbox, ServiceIdentity service, CustomerStore customers, DemoSeeding seeding,
    TimeProvider clock, IOptions<PaymentOptions> options, ILogger<PaymentOperations> log)
{
    private const int MaxRounds = 8;
    private static readonly TimeSpan SeedWait = TimeSpan.FromSeconds(10);

    private readonly UnsettledPayments _unsettled = new(dapr, service.StateStore);

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

    public Task<int> ExpireDueAsync(CancellationToken cancellationToken) =>
        RecoverAsync(p => p.Phase == PaymentPhase.Pending && PaymentRules.IsDue(p, clock.GetUtcNow()), PaymentRules.Expire,
            after => after is { Reason: CancellationReason.PaymentExpired }, cancellationToken);

    /// <summary>Finishes every confirmation or refund a crash left half done.</summary>
    public Task<int> ResumeUnfinishedAsync(CancellationToken cancellationToken) =>
        RecoverAsync(p => p.IsInFlight, (current, _) => current, _ => true, cancellationToken);

    /// <summary>Applies <paramref name="decide"/> to the listed payments <paramref name="due"/> picks; unlists settled ones per shard.</summary>
    private async Task<int> RecoverAsync(
        Func<Payment, bool> due, Func<Payment?, DateTimeOffset, Payment?> decide, Func<Payment?, bool> counts, CancellationToken cancellationToken)
    {
        var entries = await _unsettled.ListAsync(cancellationToken);
        if (entries.Count == 0) return 0;
        var payments = await dapr.ReadManyAsync<Payment>(service.StateStore, entries.Select(e => KeyOf(e.OrderId)), cancellationToken);
        var (acted, settled) = (0, new List<UnsettledEntry>());
        await RecoveryPass.RunAsync(entries, async entry =>
        {
            var payment = payments.GetValueOrDefault(KeyOf(entry.OrderId))?.Value;
            if (payment is not null && due(payment))
            {
                payment = await ApplyAsync(entry.OrderId, decide, cancellationToken);
                if (counts(payment)) acted++;
            }
            // Absent (its creation may be under way, or the bulk read failed) stays listed, as does an entry for a later phase.
            if (payment is { IsUnsettled: false } && payment.Phase > entry.EnteredFor) settled.Add(entry);
        }, log, cancellationToken);
        foreach (var shard in settled.GroupBy(e => _unsettled.ShardOf(e.OrderId)))
            await RecoveryPass.RunAsync([shard.Key], key => _unsettled.RemoveAsync(key, shard.ToList(), cancellationToken), log, cancellationToken);
        return acted;
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

    /// <summary>One conditional write with its events; a payment becoming unsettled is listed before the write can land.</summary>
    private async Task<Payment?> ChangeAsync(string orderId, Func<Payment?, Payment?> decide, CancellationToken cancellationToken)
    {
        var updated = await outbox.ChangeAsync<Payment>(KeyOf(orderId), decide, cancellationToken,
            beforeWrite: (current, next, ct) => next.IsUnsettled && current?.IsUnsettled != true
                ? _unsettled.EnterAsync(orderId, next.Phase, ct)
                : Task.CompletedTask);
        return updated.Value;
    }
}
