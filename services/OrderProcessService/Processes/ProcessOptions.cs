namespace DaprSaga.OrderProcessService.Processes;

/// <summary>Configuration section "OrderProcess".</summary>
public sealed class ProcessOptions
{
    public const string Section = "OrderProcess";

    /// <summary>How long a runner owns an instance; renewed by every step it persists.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Transient failures retried at once before the instance waits for the recovery tick.</summary>
    public int ImmediateRetries { get; set; } = 3;

    /// <summary>The engine of an order whose POST /order-processes names none.</summary>
    public SagaEngine DefaultEngine { get; set; } = SagaEngine.Workflow;
}
