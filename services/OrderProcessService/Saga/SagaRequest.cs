namespace DaprSaga.OrderProcessService.Saga;

/// <summary>
/// What the saga needs to call its participants; <see cref="Reason"/> is set while compensating. <see cref="PaymentPreauthorised"/>
/// (stored, so an instance stored without it keeps its ConfirmPayment step): the create confirms.
/// </summary>
public sealed record SagaRequest(
    string OrderId,
    string CustomerId,
    IReadOnlyList<OrderLine> Items,
    string DeliveryZone,
    bool AutoConfirmPayment,
    CancellationReason? Reason = null,
    SagaEngine Engine = SagaEngine.Runner,
    bool PaymentPreauthorised = false)
{
    public decimal Total => Items.Sum(i => i.Quantity * i.UnitPrice);
}
