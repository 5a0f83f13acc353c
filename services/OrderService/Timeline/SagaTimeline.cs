using DaprSaga.Contracts;
using DaprSaga.OrderService.Orders;

namespace DaprSaga.OrderService.Timeline;

/// <summary>
/// How a step went. Order-service's own: it published the topic, or it received it and moved the
/// order, or only recorded it. The orchestrator's commands: the participant's answer, done,
/// refused (the reason in the detail) or not yet (waiting for the customer).
/// </summary>
public enum StepOutcome { Published, Applied, Recorded, Done, Refused, Waiting }

/// <summary>The orchestrator's lane of an orchestrated order: drawn from its step log, no saga there (yet), or no answer.</summary>
public enum OrchestratorLane { Drawn, NoProcess, Unavailable }

/// <summary>
/// One step of a saga: when, which service did it, what (a topic, or a command when nothing was
/// published), how order-service took it, whether it undoes an earlier step, and what it said.
/// <paramref name="RequestedBy"/> names who asked order-service to act (the customer or the
/// orchestrator); <paramref name="Note"/> is the order's history note (e.g. "Pending → Confirmed"),
/// or the orchestrator's own words for its answer. <paramref name="Participant"/> is the app an
/// orchestrator's command (or compensation) went to.
/// </summary>
public sealed record TimelineStep(
    DateTimeOffset At, string Service, string Action, StepOutcome Outcome, bool Compensation, StepDetail Detail,
    string? RequestedBy = null, string? Note = null, string? Participant = null);

/// <summary>
/// An order's saga across every service, in time order; <paramref name="Services"/> lists the
/// lanes, in the order to draw them. For an orchestrated order, <paramref name="Engine"/> is what
/// drives it and <paramref name="Orchestrator"/> says whether its lane could be drawn.
/// </summary>
public sealed record SagaTimeline(
    string OrderId, SagaFlow Flow, OrderStatus Status, CancellationReason? CancellationReason,
    IReadOnlyList<string> Services, IReadOnlyList<TimelineStep> Steps,
    SagaEngine? Engine = null, OrchestratorLane? Orchestrator = null)
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
    /// The compensation that undoes each of the orchestrator's steps, by the step's name; null for
    /// a step that has none (an engine may still mark it compensated as it walks back past it).
    /// </summary>
    private static readonly Dictionary<string, string?> CompensationOf = new(StringComparer.Ordinal)
    {
        ["CreateOrder"] = "CancelOrder",
        ["ReserveStock"] = "ReleaseStock",
        ["CreatePayment"] = "VoidPayment",
        ["ConfirmPayment"] = null,
        ["ConfirmOrder"] = null,
        ["ScheduleDelivery"] = "CancelDelivery",
        ["CompleteOrder"] = null,
    };

    /// <summary>
    /// Builds the timeline from the order's history: each received event is a step of its
    /// publisher, each change that announced an event a step of order-service. An orchestrated
    /// order adds the orchestrator's answer: each command it sent and each compensation it ran.
    /// Sorted by when each occurred; on one instant (a fake or coarse clock) order-service's steps
    /// come first in the order it saw them, as the orchestrator logs a command once it is answered.
    /// </summary>
    public static SagaTimeline Of(Order order, OrchestratorAnswer? orchestrator = null)
    {
        var orchestrated = order.Flow == SagaFlow.Orchestration;
        var process = orchestrated ? orchestrator?.Process : null;
        var steps = order.History
            .SelectMany((entry, index) => StepsOf(order, entry).Select((step, part) => (step, source: 0, index, part)))
            .Concat(OrchestratorStepsOf(process).Select((step, index) => (step, source: 1, index, part: 0)))
            .OrderBy(s => s.step.At).ThenBy(s => s.source).ThenBy(s => s.index).ThenBy(s => s.part)
            .Select(s => s.step)
            .ToList();
        IReadOnlyList<string> lanes = orchestrated ? [AppIds.OrderProcessService, .. Participants] : Participants;
        return new SagaTimeline(
            order.OrderId, order.Flow, order.Status, order.CancellationReason, lanes, steps,
            orchestrated ? order.Engine ?? process?.Engine : null,
            orchestrated ? orchestrator?.Lane ?? OrchestratorLane.Unavailable : null);
    }

    /// <summary>
    /// The orchestrator's step log as steps of its lane: each command with its answer when it was
    /// logged, then each compensation when it ran. Compensations run in reverse, so one whose time
    /// the orchestrator does not give is placed at its last change, after those of later steps.
    /// </summary>
    public static IEnumerable<TimelineStep> OrchestratorStepsOf(OrderProcessView? process)
    {
        if (process is null) yield break;
        foreach (var step in process.Steps)
        {
            var (outcome, reason) = AnswerOf(step.Outcome);
            yield return new TimelineStep(
                step.At, AppIds.OrderProcessService, step.Name, outcome, Compensation: false, new StepDetail(reason),
                Note: step.Outcome, Participant: step.Participant);
        }
        var compensated = process.Steps
            .Select((step, index) => (step, index))
            .Where(s => s.step.Compensated == true || s.step.CompensatedAt is not null)
            .Select(s => (s.step, s.index, name: CompensationOf.TryGetValue(s.step.Name, out var known) ? known : $"Undo{s.step.Name}"))
            .Where(s => s.name is not null)
            .OrderBy(s => s.step.CompensatedAt ?? process.UpdatedAt).ThenByDescending(s => s.index);
        foreach (var (step, _, name) in compensated)
        {
            yield return new TimelineStep(
                step.CompensatedAt ?? process.UpdatedAt, AppIds.OrderProcessService, name!, StepOutcome.Done, Compensation: true,
                new StepDetail(process.CancellationReason), Note: $"compensates {step.Name}", Participant: step.Participant);
        }
    }

    /// <summary>"Done", "Refused: {reason}", "Waiting" as an outcome; anything else is shown as recorded, its words in the note.</summary>
    private static (StepOutcome Outcome, CancellationReason? Reason) AnswerOf(string outcome)
    {
        const string refused = "Refused";
        if (outcome == "Done") return (StepOutcome.Done, null);
        if (outcome == "Waiting") return (StepOutcome.Waiting, null);
        if (!outcome.StartsWith(refused, StringComparison.Ordinal)) return (StepOutcome.Recorded, null);
        var reason = outcome[refused.Length..].TrimStart(':', ' ');
        return (StepOutcome.Refused,
            Enum.TryParse<CancellationReason>(reason, ignoreCase: false, out var parsed) && Enum.IsDefined(parsed) ? parsed : null);
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
