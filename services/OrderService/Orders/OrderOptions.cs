namespace DaprSaga.OrderService.Orders;

public sealed class OrderOptions
{
    public const string Section = "Order";

    /// <summary>How long a saga may stay open before the recovery tick cancels it (SagaTimedOut).</summary>
    public TimeSpan SagaDeadline { get; set; } = TimeSpan.FromMinutes(30);
}
