namespace DaprSaga.OrderProcessService.Saga;

/// <summary>What the saga needs to call its participants; <see cref="Reason"/> is set while compensating.</summary>
public sealed record SagaRequest(
    string OrderId,
    string CustomerId,
    IReadOnlyList<OrderLine> Items,
    string DeliveryZone,
    bool AutoConfirmPayment,
    CancellationReason? Reason = null,
    SagaEngine Engine = SagaEngine.Runner)
{
    public decimal Total => Items.Sum(i => i.Quantity * i.UnitPrice);
}
