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

    // A phase is entered at most once per order, so "list before entering, unlist once past" cannot race.
    private readonly Dictionary<PaymentPhase, ShardedIndex> _indexes = new()
    {
        [PaymentPhase.Pending] = new(dapr, service.StateStore, "pending-payments"),
        [PaymentPhase.Confirming] = new(dapr, service.StateStore, "confirming-payments"),
        [PaymentPhase.Refunding] = new(dapr, service.StateStore, "refunding-payments"),
    };

    public static string KeyOf(string orderId) => $"payment-{orderId}";

    public Task<Payment?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Payment?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    public async Task<Payment> OpenAsync(
        string orderId, SagaFlow flow, string customerId, decimal amount, CancellationToken cancellationToken)
    {
        if (await FindAsync(orderId, cancellationToken) is { } existing) return existing;
        await seeding.Seeded.WaitAsync(SeedWait, cancellationToken);
        // Customers are never deleted, so "known" cannot turn false before the write below.
        var known = InputRules.IsId(customerId) && await customers.FindAsync(customerId, cancellationToken) is not null;
        var timeout = options.Value.ConfirmationTimeout;
        var payment = await ApplyAsync(orderId,
            (current, now) => PaymentRules.Open(current, orderId, flow, customerId, amount, known, now, timeout), cancellationToken);
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
        var expired = 0;
        var index = _indexes[PaymentPhase.Pending];
        await RecoveryPass.RunAsync(await index.ListAsync(cancellationToken), async orderId =>
        {
            var payment = await FindAsync(orderId, cancellationToken);
            if (payment is { Phase: PaymentPhase.Pending } && PaymentRules.IsDue(payment, clock.GetUtcNow()))
            {
                var after = await ApplyAsync(orderId, PaymentRules.Expire, cancellationToken);
                if (after is { Reason: CancellationReason.PaymentExpired }) expired++;
            }
            // Not written yet (its creation may be under way) stays listed; past Pending can go.
            else if (payment?.HasPassed(PaymentPhase.Pending) == true)
            {
                await index.RemoveAsync(orderId, cancellationToken);
            }
        }, log, cancellationToken);
        return expired;
    }

    /// <summary>Finishes every confirmation or refund a crash left half done.</summary>
    public async Task<int> ResumeUnfinishedAsync(CancellationToken cancellationToken)
    {
        var resumed = 0;
        foreach (var phase in new[] { PaymentPhase.Confirming, PaymentPhase.Refunding })
        {
            var index = _indexes[phase];
            foreach (var orderId in await index.ListAsync(cancellationToken))
            {
                var payment = await FindAsync(orderId, cancellationToken);
                if (payment?.Phase == phase)
                {
                    await ApplyAsync(orderId, (current, _) => current, cancellationToken);
                    resumed++;
                }
                else if (payment?.HasPassed(phase) == true)
                {
                    await index.RemoveAsync(orderId, cancellationToken);
                }
            }
        }
        return resumed;
    }

    /// <summary>Finishes any phase in flight, then decides on the settled payment: callers only see settled payments.</summary>
    private async Task<Payment?> ApplyAsync(
        string orderId, Func<Payment?, DateTimeOffset, Payment?> decide, CancellationToken cancellationToken)
    {
        var payment = await ChangeAsync(orderId, current => decide(current, clock.GetUtcNow()), cancellationToken);
        for (var round = 1; payment is { IsInFlight: true }; round++)
        {
            if (round > MaxRounds) throw new InvalidOperationException($"payment {orderId} did not settle after {MaxRounds} rounds");
            var settled = await FinishAsync(payment, cancellationToken);
            // What the finish stored is as fresh as a read: decide on it, and write only if that changes something.
            payment = decide(settled, clock.GetUtcNow()) is { } again && !ReferenceEquals(again, settled)
                ? await ChangeAsync(orderId, current => decide(current, clock.GetUtcNow()), cancellationToken)
                : settled;
        }
        return payment;
    }

    private async Task<Payment?> FinishAsync(Payment payment, CancellationToken cancellationToken)
    {
        var (orderId, customerId) = (payment.OrderId, payment.CustomerId
            ?? throw new InvalidOperationException($"payment {payment.OrderId} is in flight without a customer"));
        var confirming = payment.Phase == PaymentPhase.Confirming;
        Func<Customer, Customer> money = confirming ? c => c.Debit(orderId, payment.Amount) : c => c.Refund(orderId);
        var customer = await customers.ChangeAsync(customerId, money, cancellationToken)
            ?? throw new InvalidOperationException($"customer {customerId} of payment {orderId} does not exist");
        var entry = customer.EntryFor(orderId);
        // Each finish acts only on its own phase: a concurrent finisher may have moved on already.
        return await ChangeAsync(orderId, current => current is null ? null
            : confirming ? PaymentRules.FinishConfirm(current, entry, clock.GetUtcNow())
            : PaymentRules.FinishRefund(current, entry, clock.GetUtcNow()), cancellationToken);
    }

    /// <summary>One conditional write with its events; a listed phase is indexed before the write can land.</summary>
    private async Task<Payment?> ChangeAsync(string orderId, Func<Payment?, Payment?> decide, CancellationToken cancellationToken)
    {
        Payment? before = null;
        var updated = await outbox.ChangeAsync<Payment>(KeyOf(orderId), current => decide(before = current), cancellationToken,
            beforeWrite: (current, next, ct) => next.Phase != current?.Phase && _indexes.TryGetValue(next.Phase, out var entered)
                ? entered.AddAsync(orderId, ct)
                : Task.CompletedTask);
        if (updated is { Changed: true, Value: { } after } && before is not null && after.Phase != before.Phase
            && _indexes.TryGetValue(before.Phase, out var left))
        {
            await left.RemoveAsync(orderId, cancellationToken);
        }
        return updated.Value;
    }
}
