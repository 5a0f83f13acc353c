namespace DaprSaga.Contracts;

/// <summary>Topic names, apart from the record names so a rename cannot break a subscriber.</summary>
public static class Topics
{
    public const string OrderPlaced = "order-placed";
    public const string OrderConfirmed = "order-confirmed";
    public const string OrderCompleted = "order-completed";
    public const string OrderCancelled = "order-cancelled";

    public const string StockReserved = "stock-reserved";
    public const string StockReservationFailed = "stock-reservation-failed";
    public const string StockReleased = "stock-released";
    public const string StockCommitted = "stock-committed";

    public const string PaymentRequested = "payment-requested";
    public const string PaymentConfirmed = "payment-confirmed";
    public const string PaymentCancelled = "payment-cancelled";
    public const string PaymentRefunded = "payment-refunded";

    public const string DeliveryScheduled = "delivery-scheduled";
    public const string DeliveryFailed = "delivery-failed";
    public const string DeliveryCancelled = "delivery-cancelled";

    /// <summary>Each app dead-letters its own subscriptions here (its publishing scope allows it).</summary>
    public static string DeadLetters(string appId) => $"dead-letters.{appId}";

    /// <summary>The CloudEvent type published with a topic (publish metadata cloudevent.type).</summary>
    public static string EventType(string topic) => $"{topic}.v1";
}

/// <summary>Who publishes and consumes what, so component scopes and subscriptions can be checked against it.</summary>
public static class Topology
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Publishes =
        new Dictionary<string, IReadOnlyList<string>>
        {
            [AppIds.OrderService] =
                [Topics.OrderPlaced, Topics.OrderConfirmed, Topics.OrderCompleted, Topics.OrderCancelled],
            [AppIds.InventoryService] =
                [Topics.StockReserved, Topics.StockReservationFailed, Topics.StockReleased, Topics.StockCommitted],
            [AppIds.PaymentService] =
                [Topics.PaymentRequested, Topics.PaymentConfirmed, Topics.PaymentCancelled, Topics.PaymentRefunded],
            [AppIds.DeliveryService] =
                [Topics.DeliveryScheduled, Topics.DeliveryFailed, Topics.DeliveryCancelled],
            [AppIds.OrderProcessService] = [],
        };

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Subscribes =
        new Dictionary<string, IReadOnlyList<string>>
        {
            [AppIds.OrderService] =
            [
                Topics.StockReservationFailed, Topics.PaymentRequested, Topics.PaymentConfirmed,
                Topics.PaymentCancelled, Topics.DeliveryScheduled, Topics.DeliveryFailed,
                // Timelines are built from every participant's facts.
                Topics.StockReserved, Topics.StockReleased, Topics.StockCommitted,
                Topics.PaymentRefunded, Topics.DeliveryCancelled,
            ],
            [AppIds.InventoryService] = [Topics.OrderPlaced, Topics.OrderCancelled, Topics.OrderCompleted],
            [AppIds.PaymentService] = [Topics.StockReserved, Topics.OrderCancelled],
            [AppIds.DeliveryService] = [Topics.OrderConfirmed, Topics.OrderCancelled],
            [AppIds.OrderProcessService] = [Topics.PaymentConfirmed, Topics.PaymentCancelled, Topics.OrderCancelled],
        };

    /// <summary>An app's own topics plus its dead-letter topic: its whole publishing scope.</summary>
    public static IEnumerable<string> PublishingScope(string appId) =>
        Publishes[appId].Append(Topics.DeadLetters(appId));

    /// <summary>What it consumes plus its own dead-letter topic, which it stores for replay.</summary>
    public static IEnumerable<string> SubscriptionScope(string appId) =>
        Subscribes[appId].Append(Topics.DeadLetters(appId));
}
