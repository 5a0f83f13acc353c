namespace DaprSaga.OrderService.Timeline;

/// <summary>What an event said that a timeline shows: a reason, a courier, an amount (each only where the event has one).</summary>
public sealed record StepDetail(CancellationReason? Reason = null, string? CourierId = null, decimal? Amount = null);

/// <summary>
/// An event as the order's history keeps it. Handlers get no CloudEvent source, so the publisher
/// comes from the topology, which gives every topic exactly one.
/// </summary>
public sealed record ReceivedEvent(string Publisher, DateTimeOffset OccurredAt, StepDetail Detail)
{
    private static readonly Dictionary<string, string> PublisherOfTopic = Topology.Publishes
        .SelectMany(p => p.Value.Select(topic => (Topic: topic, AppId: p.Key)))
        .ToDictionary(p => p.Topic, p => p.AppId, StringComparer.Ordinal);

    public static ReceivedEvent Of<TEvent>(TEvent e) where TEvent : IIntegrationEvent =>
        new(PublisherOfTopic.GetValueOrDefault(TEvent.Topic, ""), e.OccurredAt, DetailOf(e));


    private static StepDetail DetailOf(IIntegrationEvent e) => e switch
    {
        StockReserved s => new(Amount: s.Amount),
        StockReservationFailed f => new(Reason: f.Reason),
        PaymentRequested p => new(Amount: p.Amount),
        PaymentConfirmed p => new(Amount: p.Amount),
        PaymentCancelled p => new(Reason: p.Reason),
        PaymentRefunded p => new(Amount: p.Amount),
        DeliveryScheduled d => new(CourierId: d.CourierId),
        DeliveryFailed d => new(Reason: d.Reason),
        DeliveryCancelled d => new(CourierId: d.CourierId),
        OrderCancelled o => new(Reason: o.Reason),
        _ => new(),
    };
}
