namespace DaprSaga.Contracts;

/// <summary>Dapr app ids: the names sidecars, scopes and service invocation use.</summary>
public static class AppIds
{
    public const string OrderService = "order-service";
    public const string InventoryService = "inventory-service";
    public const string PaymentService = "payment-service";
    public const string DeliveryService = "delivery-service";
    public const string OrderProcessService = "order-process-service";

    public static readonly IReadOnlyList<string> All =
        [OrderService, InventoryService, PaymentService, DeliveryService, OrderProcessService];
}

/// <summary>Dapr component names, as written in components/*.yaml.</summary>
public static class Components
{
    public const string PubSub = "pubsub";

    public const string OrderStore = "order-store";
    public const string InventoryStore = "inventory-store";
    public const string PaymentStore = "payment-store";
    public const string DeliveryStore = "delivery-store";
    public const string ProcessStore = "process-store";

    /// <summary>Cron input bindings; daprd POSTs to /{name} on the app.</summary>
    public const string PaymentExpiry = "payment-expiry";
    public const string OrderRecovery = "order-recovery";
    public const string ProcessRecovery = "process-recovery";
    public const string OutboxSweep = "outbox-sweep";

    /// <summary>The one state store each app owns; no app reads another's.</summary>
    public static readonly IReadOnlyDictionary<string, string> StoreOf = new Dictionary<string, string>
    {
        [AppIds.OrderService] = OrderStore,
        [AppIds.InventoryService] = InventoryStore,
        [AppIds.PaymentService] = PaymentStore,
        [AppIds.DeliveryService] = DeliveryStore,
        [AppIds.OrderProcessService] = ProcessStore,
    };

    /// <summary>Which app receives each cron binding.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> BindingsOf =
        new Dictionary<string, IReadOnlyList<string>>
        {
            [AppIds.OrderService] = [OrderRecovery, OutboxSweep],
            [AppIds.InventoryService] = [OutboxSweep],
            [AppIds.PaymentService] = [PaymentExpiry, OutboxSweep],
            [AppIds.DeliveryService] = [OutboxSweep],
            [AppIds.OrderProcessService] = [ProcessRecovery],
        };
}
