using DaprSaga.DeliveryService.Couriers;

namespace DaprSaga.DeliveryService.Deliveries;

public static class CourierChoice
{
    /// <summary>
    /// One already holding the order's slot (a step that stopped after taking it), else the least loaded
    /// of the zone with a free slot that has not answered this order. Null: none left.
    /// </summary>
    public static Courier? Next(Delivery delivery, IEnumerable<Courier> couriers)
    {
        var askable = couriers.Where(c => !delivery.Declined.Contains(c.CourierId)).ToList();
        return askable.FirstOrDefault(c => c.AnswerFor(delivery.OrderId) == AssignmentState.Active)
            ?? askable
                .Where(c => c.Serves(delivery.Zone) && c.HasFreeSlot && c.AnswerFor(delivery.OrderId) is null)
                .OrderBy(c => c.ActiveDeliveries)
                .ThenBy(c => c.CourierId, StringComparer.Ordinal)
                .FirstOrDefault();
    }

    /// <summary>
    /// Two couriers picked by a hash of the order id (all when two or fewer): orders spread over the zone,
    /// and the less loaded of two random ones keeps loads even while reading two couriers, not the zone.
    /// </summary>
    public static IReadOnlyList<string> Sample(string orderId, IReadOnlyList<string> courierIds)
    {
        var count = (uint)courierIds.Count;
        if (count <= 2) return courierIds;
        var hash = StableHash(orderId);
        var first = hash % count;
        var second = (first + 1 + hash / count % (count - 1)) % count;
        return [courierIds[(int)first], courierIds[(int)second]];
    }

    // FNV-1a: string.GetHashCode is randomised per process, and a repeat must compare the same two.
    private static uint StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value) hash = (hash ^ c) * 16777619u;
        return hash;
    }
}
