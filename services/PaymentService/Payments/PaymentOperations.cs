using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.PaymentService.Customers;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;
using Microsoft.Extensions.Options;

namespace DaprSaga.PaymentService.Payments;

/// <summary>
/// The payment commands, shared by the HTTP API, the choreography handlers and (later) the
/// orchestrator's participant commands. A change that touches the customer too is a sequence
/// of single-key conditional writes anchored in the payment: decide the phase (payment), apply
/// the money (customer ledger, once per order), finish the phase (payment). Whoever finds a
/// payment in flight (a redelivery, a repeated command, the sweep) finishes it; every step is
/// idempotent, so finishing twice or concurrently is harmless.
/// </summary>
public sealed class PaymentOperations(
    DaprClient dapr, Outbox outbox, ServiceIdentity service, CustomerStore customers, DemoSeeding seeding,
    TimeProvider clock, IOptions<PaymentOptions> options, ILogger<PaymentOperations> log)
{
    private const int MaxRounds = 8;
    private static readonly TimeSpan SeedWait = TimeSpan.FromSeconds(10);

    // One index per phase that must be found again: a phase is entered at most once per order,
    // so "add before entering, remove once past it" cannot race with another entry of the phase.
    private readonly Dictionary<PaymentPhase, ShardedIndex> _indexes = new()
    {
        [PaymentPhase.Pending] = new(dapr, service.StateStore, "pending-payments"),
        [PaymentPhase.Confirming] = new(dapr, service.StateStore, "confirming-payments"),
        [PaymentPhase.Refunding] = new(dapr, service.StateStore, "refunding-payments"),
    };

    public static string KeyOf(string orderId) => $"payment-{orderId}";

    public Task<Payment?> FindAsync(string orderId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Payment?>(service.StateStore, KeyOf(orderId), cancellationToken: cancellationToken);

    /// <summary>Creates the order's payment once: Pending, or Cancelled(UnknownCustomer).</summary>
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

    /// <summary>The confirm command: debits once, or cancels (expired, insufficient credit).</summary>
    public Task<Payment?> ConfirmAsync(string orderId, CancellationToken cancellationToken) =>
        ApplyAsync(orderId, PaymentRules.BeginConfirm, cancellationToken);

    /// <summary>The customer's cancel, only while Pending.</summary>
    public Task<Payment?> CancelAsync(string orderId, CancellationToken cancellationToken) =>
        ApplyAsync(orderId, PaymentRules.Cancel, cancellationToken);

    /// <summary>The compensation: cancel if Pending, refund if Confirmed, tombstone if none; never refuses.</summary>
    public async Task<Payment> VoidAsync(string orderId, SagaFlow flow, CancellationReason reason, CancellationToken cancellationToken)
    {
        var payment = await ApplyAsync(orderId,
            (current, now) => PaymentRules.Void(current, orderId, flow, reason, now), cancellationToken);
        return payment!;
    }

    /// <summary>The expiry tick: cancels every Pending payment whose time is up by the payment's clock.</summary>
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

    /// <summary>
    /// Applies <paramref name="decide"/> to the payment and finishes any phase in flight, then
    /// decides again on the settled payment, so callers only ever see settled payments. A phase
    /// that must be found again is entered only once its index lists the order.
    /// </summary>
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

    /// <summary>The customer step of an in-flight phase, then the payment step that ends it; returns the payment as stored after.</summary>
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

    /// <summary>
    /// One conditional write of the payment with its events (outbox). A phase that must be found
    /// again is entered in its index before the write that enters the phase can land; a phase
    /// never recurs, so once the payment has left a listed phase its index entry can go (if this
    /// crashes first, the sweeps remove it).
    /// </summary>
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
