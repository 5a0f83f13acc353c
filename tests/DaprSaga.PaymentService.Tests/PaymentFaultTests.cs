using DaprSaga.PaymentService.Customers;
using DaprSaga.PaymentService.Payments;

namespace DaprSaga.PaymentService.Tests;

/// <summary>Many sagas under seeded duplicates, reordering, lost acks and sidecar errors: money is conserved.</summary>
public sealed class PaymentFaultTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(23)]
    public async Task CreditIsConservedAndEveryEffectHappensAtMostOncePerOrder(int seed)
    {
        var faults = new FaultPlan(seed);
        await using var app = await PaymentApp.StartAsync(faults);
        var random = new Random(seed);
        var customers = new[] { "alice", "bob", "carol" };
        var before = 0m;
        foreach (var customer in customers) before += await app.CreditAsync(customer);
        faults.With(FaultKind.DuplicateDelivery, 0.2).With(FaultKind.ReorderDelivery, 0.2).With(FaultKind.LostAck, 0.1)
            .With(FaultKind.StateError, 0.03).With(FaultKind.PublishError, 0.03);

        var sends = new List<Task>();
        for (var n = 0; n < 40; n++)
        {
            var orderId = $"o-{n}";
            var customerId = customers[random.Next(customers.Length)];
            var amount = random.Next(1, 4000) / 100m;
            sends.Add(app.SendAsync(new StockReserved(orderId, SagaFlow.Choreography, customerId, amount, random.Next(2) == 0, PaymentApp.Start)));
            if (random.Next(2) == 0)
                sends.Add(app.SendAsync(new OrderCancelled(orderId, SagaFlow.Choreography, CancellationReason.NoCourierAvailable, PaymentApp.Start)));
            if (random.Next(4) == 0) sends.Add(app.PostAsync($"/payments/{orderId}/confirm"));
        }
        await Task.WhenAll(sends);
        await app.Testbed.WaitForIdleAsync(TimeSpan.FromSeconds(30));

        // Once quiet and healthy, the recovery sweep finishes whatever a fault left half done.
        faults.With(FaultKind.StateError, 0).With(FaultKind.PublishError, 0);
        Assert.Equal(HttpStatusCode.OK, await app.TriggerAsync(Components.OutboxSweep));

        using var dapr = app.Sidecar.NewDaprClient();
        var payments = new List<Payment>();
        for (var n = 0; n < 40; n++)
        {
            if (await dapr.GetStateAsync<Payment?>(Components.PaymentStore, PaymentOperations.KeyOf($"o-{n}")) is { } payment)
                payments.Add(payment);
        }
        var ledgers = new List<Customer>();
        foreach (var customer in customers)
            ledgers.Add((await dapr.GetStateAsync<Customer?>(Components.PaymentStore, CustomerStore.KeyOf(customer)))!);

        Assert.True(faults.Injected.GetValueOrDefault(FaultKind.StateError) > 0 && faults.Injected.GetValueOrDefault(FaultKind.LostAck) > 0);
        var seedInfo = $"seed {seed}, injected {string.Join(", ", faults.Injected.Select(f => $"{f.Key}={f.Value}"))}";
        Assert.All(payments, p => Assert.False(p.IsInFlight, $"{p.OrderId} in flight ({seedInfo})"));
        // A payment that was never listed keeps its last events once sent: each must have gone out.
        var pubSub = app.Testbed.PubSub(Components.PubSub);
        Assert.All(payments.SelectMany(p => p.Outbox), m => Assert.Contains(pubSub.Published(m.Topic), e => e.Id == m.Id));
        var captured = payments.Where(p => p.Phase is PaymentPhase.Confirmed or PaymentPhase.Refunded).Sum(p => p.Amount);
        var refunded = payments.Where(p => p.Phase == PaymentPhase.Refunded).Sum(p => p.Amount);
        Assert.True(before == ledgers.Sum(c => c.Credit) + captured - refunded, seedInfo);
        // The ledger agrees with the payments: a debit exactly for each captured payment.
        foreach (var payment in payments.Where(p => p.CustomerId is not null))
        {
            var entry = ledgers.Single(c => c.CustomerId == payment.CustomerId).EntryFor(payment.OrderId);
            var expected = payment.Phase switch
            {
                PaymentPhase.Confirmed => LedgerEntryKind.Debited,
                PaymentPhase.Refunded => LedgerEntryKind.Refunded,
                _ when payment.Reason == CancellationReason.InsufficientCredit => LedgerEntryKind.Declined,
                _ => (LedgerEntryKind?)null,
            };
            Assert.True(expected == entry?.Kind, $"{payment.OrderId}: {payment.Phase} vs ledger {entry?.Kind} ({seedInfo})");
        }
        // Each order's outcome was announced, and never two different ones.
        var confirmed = app.Published<PaymentConfirmed>().Select(e => e.OrderId).ToHashSet();
        Assert.All(payments.Where(p => p.Phase is PaymentPhase.Confirmed or PaymentPhase.Refunded),
            p => Assert.Contains(p.OrderId, confirmed));
        Assert.All(app.Published<PaymentRefunded>(), e => Assert.Equal(PaymentPhase.Refunded, payments.Single(p => p.OrderId == e.OrderId).Phase));
    }
}
