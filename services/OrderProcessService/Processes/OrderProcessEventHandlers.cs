using DaprSaga.OrderProcessService.Workflows;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// The customer's decision (or the payment's expiry) ends a saga's wait at once. A repeat is
/// harmless: the runner reads the payment again, the workflow takes only the first decision.
/// </summary>
public sealed class CustomerDecisions(OrderProcesses processes)
    : IEventHandler<PaymentConfirmed>, IEventHandler<PaymentCancelled>, IEventHandler<OrderCancelled>
{
    public Task<HandlerOutcome> HandleAsync(PaymentConfirmed e, CancellationToken cancellationToken) =>
        PassOnAsync(e.OrderId, new(CustomerDecisionKind.PaymentConfirmed), cancellationToken);

    public Task<HandlerOutcome> HandleAsync(PaymentCancelled e, CancellationToken cancellationToken) =>
        PassOnAsync(e.OrderId, new(CustomerDecisionKind.PaymentCancelled, e.Reason), cancellationToken);

    public Task<HandlerOutcome> HandleAsync(OrderCancelled e, CancellationToken cancellationToken) =>
        PassOnAsync(e.OrderId, new(CustomerDecisionKind.OrderCancelled, e.Reason), cancellationToken);

    private async Task<HandlerOutcome> PassOnAsync(string orderId, CustomerDecision decision, CancellationToken cancellationToken)
    {
        await processes.OnCustomerDecisionAsync(orderId, decision, cancellationToken);
        return HandlerOutcome.Done;
    }
}

/// <summary>Resumes the instances a crash or a missed event left unfinished.</summary>
public sealed class UnfinishedProcesses(ProcessRecovery recovery) : IScheduledPass
{
    public Task<int> RunAsync(CancellationToken cancellationToken) => recovery.ResumeAsync(cancellationToken);
}
