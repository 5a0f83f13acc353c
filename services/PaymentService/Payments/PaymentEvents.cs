using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.PaymentService.Payments;

/// <summary>The choreography reactions. Events of the orchestrated flow are acknowledged and left alone.</summary>
public static class PaymentEvents
{
    public static IEndpointRouteBuilder MapPaymentEvents(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapEventHandler<StockReserved>(OnStockReservedAsync);
        endpoints.MapEventHandler<OrderCancelled>(OnOrderCancelledAsync);
        return endpoints;
    }

    /// <summary>
    /// Idempotent: the payment is created with first-write, so a redelivery finds it and creates
    /// nothing (a tombstone included); the auto-confirm is the confirm command, which debits at
    /// most once per order and, on a redelivery, finishes what a crash interrupted.
    /// </summary>
    public static async Task<HandlerOutcome> OnStockReservedAsync(StockReserved e, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (e.Flow != SagaFlow.Choreography) return HandlerOutcome.Done;
        if (!Input.IsId(e.OrderId) || e.Amount < 0) return HandlerOutcome.Drop;
        var payments = services.GetRequiredService<PaymentOperations>();
        var payment = await payments.OpenAsync(e.OrderId, e.Flow, e.CustomerId, e.Amount, cancellationToken);
        if (e.AutoConfirmPayment && payment.Phase is PaymentPhase.Pending or PaymentPhase.Confirming)
            await payments.ConfirmAsync(e.OrderId, cancellationToken);
        return HandlerOutcome.Done;
    }

    /// <summary>
    /// Idempotent: void cancels only a Pending payment and refunds only a Confirmed one (the
    /// ledger refunds an order at most once); a repeat finds it Cancelled or Refunded and does
    /// nothing. With no payment yet it stores a tombstone, so a late stock-reserved does nothing.
    /// A payment mid-confirmation is finished first, then voided.
    /// </summary>
    public static async Task<HandlerOutcome> OnOrderCancelledAsync(OrderCancelled e, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (e.Flow != SagaFlow.Choreography) return HandlerOutcome.Done;
        if (!Input.IsId(e.OrderId) || !Enum.IsDefined(e.Reason)) return HandlerOutcome.Drop;
        await services.GetRequiredService<PaymentOperations>().VoidAsync(e.OrderId, e.Flow, e.Reason, cancellationToken);
        return HandlerOutcome.Done;
    }
}
