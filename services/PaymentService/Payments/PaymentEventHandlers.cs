namespace DaprSaga.PaymentService.Payments;

/// <summary>Idempotent: first-write creation; the auto-confirm debits at most once and finishes what a crash left.</summary>
public sealed class OpenPaymentOnStockReserved(PaymentOperations payments) : IEventHandler<StockReserved>
{
    public async Task<HandlerOutcome> HandleAsync(StockReserved e, CancellationToken cancellationToken)
    {
        if (!InputRules.IsAmount(e.Amount)) return HandlerOutcome.Drop;
        await payments.OpenAsync(e.OrderId, e.Flow, e.CustomerId, e.Amount, e.AutoConfirmPayment, cancellationToken);
        return HandlerOutcome.Done;
    }
}

/// <summary>Idempotent: a repeat finds the payment Cancelled or Refunded; with none yet a tombstone stops a late stock-reserved.</summary>
public sealed class VoidPaymentOnOrderCancelled(PaymentOperations payments) : IEventHandler<OrderCancelled>
{
    public async Task<HandlerOutcome> HandleAsync(OrderCancelled e, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(e.Reason)) return HandlerOutcome.Drop;
        await payments.VoidAsync(e.OrderId, e.Flow, e.Reason, cancellationToken);
        return HandlerOutcome.Done;
    }
}

public sealed class PaymentExpiry(PaymentOperations payments) : IScheduledPass
{
    public Task<int> RunAsync(CancellationToken cancellationToken) => payments.ExpireDueAsync(cancellationToken);
}
