using DaprSaga.DeliveryService.Couriers;

namespace DaprSaga.DeliveryService.Deliveries;

public static class CourierChoice
{
    /// <summary>
    /// The courier to ask next for an assigning delivery: one already holding the order's slot
    /// if there is one (a step that stopped after taking it), else the least loaded courier of
    /// the zone with a free slot that has not answered this order, then by id. Null: none left.
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
}
