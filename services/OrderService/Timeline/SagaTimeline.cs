using DaprSaga.Contracts;
using DaprSaga.OrderService.Orders;

namespace DaprSaga.OrderService.Timeline;

/// <summary>How order-service took a step: it published the topic, or it received it and moved the order, or only recorded it.</summary>
public enum StepOutcome { Published, Applied, Recorded }

/// <summary>
/// One step of a saga: when, which service did it, what (a topic, or a command when nothing was
/// published), how order-service took it, whether it undoes an earlier step, and what it said.
/// <paramref name="RequestedBy"/> names who asked order-service to act (the customer or the
/// orchestrator); <paramref name="Note"/> is the order's history note (e.g. "Pending → Confirmed").
/// </summary>
public sealed record TimelineStep(
    DateTimeOffset At, string Service, string Action, StepOutcome Outcome, bool Compensation, StepDetail Detail,
    string? RequestedBy = null, string? Note = null);

/// <summary>An order's saga across every service, in time order; <paramref name="Services"/> lists the lanes, in the order to draw them.</summary>
public sealed record SagaTimeline(
    string OrderId, SagaFlow Flow, OrderStatus Status, CancellationReason? CancellationReason,
    IReadOnlyList<string> Services, IReadOnlyList<TimelineStep> Steps)
{
    /// <summary>The customer: who places (choreography) and cancels orders from outside the saga.</summary>
    public const string Customer = "customer";

    // A payment cancelled for one of these is the payment step failing; for any other reason it
    // is the void of an order cancelled for that reason, a compensation.
    private static readonly Contracts.CancellationReason[] PaymentsOwnRefusals =
    [
        Contracts.CancellationReason.UnknownCustomer, Contracts.CancellationReason.InsufficientCredit,
        Contracts.CancellationReason.PaymentCancelled, Contracts.CancellationReason.PaymentExpired,
    ];

    private static readonly string[] Participants =
        [AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService];

    /// <summary>
    /// Builds the timeline from the order's history: each received event is a step of its
    /// publisher, each change that announced an event a step of order-service. Sorted by when
    /// each occurred, ties kept in the order order-service saw them (a fake or coarse clock
    /// gives many steps one instant).
    /// </summary>
    public static SagaTimeline Of(Order order)
    {
        var steps = order.History
            .SelectMany((entry, index) => StepsOf(order, entry).Select((step, part) => (step, index, part)))
            .OrderBy(s => s.step.At).ThenBy(s => s.index).ThenBy(s => s.part)
            .Select(s => s.step)
            .ToList();
        IReadOnlyList<string> lanes = order.Flow == SagaFlow.Orchestration ? [AppIds.OrderProcessService, .. Participants] : Participants;
        return new SagaTimeline(order.OrderId, order.Flow, order.Status, order.CancellationReason, lanes, steps);
    }

    private static IEnumerable<TimelineStep> StepsOf(Order order, HistoryEntry entry)
    {
        // An event from a participant (older entries lack the publisher: the topology knows it).
        if ((entry.Publisher ?? ReceivedEvent.PublisherOf(entry.Trigger)) is { } publisher && publisher != AppIds.OrderService)
        {
            var detail = entry.Detail ?? new StepDetail();
            yield return new TimelineStep(
                entry.OccurredAt ?? entry.At, publisher, entry.Trigger, entry.Applied ? StepOutcome.Applied : StepOutcome.Recorded,
                IsCompensation(entry.Trigger, detail), detail, Note: entry.Note);
        }
        else if (entry.Published is null)
        {
            // A command that announced nothing (a tombstone, or a command recorded late).
            yield return new TimelineStep(
                entry.At, AppIds.OrderService, entry.Trigger, entry.Applied ? StepOutcome.Applied : StepOutcome.Recorded,
                entry.Trigger == OrderCommands.Compensate && entry.Applied, new StepDetail(order.CancellationReason),
                RequestedByOf(order, entry.Trigger), entry.Note);
        }
        if (entry.Published is { } published)
        {
            var detail = published switch
            {
                Topics.OrderPlaced => new StepDetail(Amount: order.Total),
                // An order is cancelled once, so its reason is this announcement's.
                Topics.OrderCancelled => new StepDetail(order.CancellationReason),
                _ => new StepDetail(),
            };
            yield return new TimelineStep(
                entry.At, AppIds.OrderService, published, StepOutcome.Published, IsCompensation(published, detail), detail,
                RequestedByOf(order, entry.Trigger), entry.Note);
        }
    }

    private static bool IsCompensation(string topic, StepDetail detail) => topic switch
    {
        Topics.StockReleased or Topics.PaymentRefunded or Topics.DeliveryCancelled or Topics.OrderCancelled => true,
        Topics.PaymentCancelled => detail.Reason is { } reason && !PaymentsOwnRefusals.Contains(reason),
        _ => false,
    };

    /// <summary>Who asked order-service to act: null when it reacted to an event or acted on its own (the saga deadline).</summary>
    private static string? RequestedByOf(Order order, string trigger) => trigger switch
    {
        OrderCommands.Place => order.Flow == SagaFlow.Orchestration ? AppIds.OrderProcessService : Customer,
        OrderCommands.Confirm or OrderCommands.Complete or OrderCommands.Compensate => AppIds.OrderProcessService,
        OrderCommands.Cancel => Customer,
        _ => null,
    };
}
