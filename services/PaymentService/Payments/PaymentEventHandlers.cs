using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.PaymentService.Payments;

/// <summary>
/// Idempotent: the payment is created with first-write, so a redelivery finds it and creates
/// nothing (a tombstone included); the auto-confirm is the confirm command, which debits at most
/// once per order and, on a redelivery, finishes what a crash interrupted.
/// </summary>
public sealed class OpenPaymentOnStockReserved(PaymentOperations payments) : IEventHandler<StockReserved>
{
    public async Task<HandlerOutcome> HandleAsync(StockReserved e, CancellationToken cancellationToken)
    {
        if (!InputRules.IsAmount(e.Amount)) return HandlerOutcome.Drop;
        var payment = await payments.OpenAsync(e.OrderId, e.Flow, e.CustomerId, e.Amount, cancellationToken);
        if (e.AutoConfirmPayment && payment.Phase is PaymentPhase.Pending or PaymentPhase.Confirming)
            await payments.ConfirmAsync(e.OrderId, cancellationToken);
        return HandlerOutcome.Done;
    }
}

/// <summary>
/// Idempotent: void cancels only a Pending payment and refunds only a Confirmed one (the ledger
/// refunds an order at most once); a repeat finds it Cancelled or Refunded and does nothing. With
/// no payment yet it stores a tombstone, so a late stock-reserved does nothing. A payment
/// mid-confirmation is finished first, then voided.
/// </summary>
public sealed class VoidPaymentOnOrderCancelled(PaymentOperations payments) : IEventHandler<OrderCancelled>
{
    public async Task<HandlerOutcome> HandleAsync(OrderCancelled e, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(e.Reason)) return HandlerOutcome.Drop;
        await payments.VoidAsync(e.OrderId, e.Flow, e.Reason, cancellationToken);
        return HandlerOutcome.Done;
    }
}

/// <summary>Cancels the payments whose confirmation window has passed (PaymentExpired).</summary>
public sealed class PaymentExpiry(PaymentOperations payments) : IScheduledPass
{
    public Task<int> RunAsync(CancellationToken cancellationToken) => payments.ExpireDueAsync(cancellationToken);
}

/// <summary>Finishes the confirms and refunds a crash left in flight (after the outbox sweep).</summary>
public sealed class UnfinishedPayments(PaymentOperations payments) : IScheduledPass
{
    public Task<int> RunAsync(CancellationToken cancellationToken) => payments.ResumeUnfinishedAsync(cancellationToken);
}
