using DaprSaga.OrderService.Orders;

namespace DaprSaga.OrderService.Timeline;

/// <summary>How a step went: order-service published, applied or only recorded it; or the participant's answer to the orchestrator.</summary>
public enum StepOutcome { Published, Applied, Recorded, Done, Refused, Waiting }

/// <summary>The orchestrator's lane of an orchestrated order: drawn from its step log, no saga there, or no answer.</summary>
public enum OrchestratorLane { Drawn, NoProcess, Unavailable }

/// <summary>A topic, or a command that published nothing; <paramref name="Participant"/>: the app an orchestrator's command went to.</summary>
public sealed record TimelineStep(
    DateTimeOffset At, string Service, string Action, StepOutcome Outcome, bool Compensation, StepDetail Detail,
    string? RequestedBy = null, string? Note = null, string? Participant = null);

/// <summary>An order's saga across every service, in time order; <paramref name="Services"/>: the lanes, in drawing order.</summary>
public sealed record SagaTimeline(
    string OrderId, SagaFlow Flow, OrderStatus Status, CancellationReason? CancellationReason,
    IReadOnlyList<string> Services, IReadOnlyList<TimelineStep> Steps,
    SagaEngine? Engine = null, OrchestratorLane? Orchestrator = null)
{
    public const string Customer = "customer";

    // A payment cancelled for any other reason is the void of a cancelled order: a compensation.
    private static readonly Contracts.CancellationReason[] PaymentsOwnRefusals =
    [
        Contracts.CancellationReason.UnknownCustomer, Contracts.CancellationReason.InsufficientCredit,
        Contracts.CancellationReason.PaymentCancelled, Contracts.CancellationReason.PaymentExpired,
    ];

    private static readonly string[] Participants =
        [AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService];

    // Null for a step without one (an engine may still mark it compensated as it walks back past it).
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

    // On one instant order-service's steps come first: the orchestrator logs a command once it is answered.
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

    // Compensations run in reverse: one without a time goes at the last change, after those of later steps.
    public static IEnumerable<TimelineStep> OrchestratorStepsOf(OrderProcessView? process)
    {
        if (process is null) yield break;
        foreach (var step in process.Steps)
        {
            yield return new TimelineStep(
                step.At, AppIds.OrderProcessService, step.Name, OutcomeOf(step.Outcome), Compensation: false, new StepDetail(step.Reason),
                Note: step.Reason is { } reason ? $"{step.Outcome}: {reason}" : step.Outcome.ToString(), Participant: step.Participant);
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

    private static StepOutcome OutcomeOf(StepAnswer answer) => answer switch
    {
        StepAnswer.Done => StepOutcome.Done,
        StepAnswer.Refused => StepOutcome.Refused,
        StepAnswer.Waiting => StepOutcome.Waiting,
        _ => StepOutcome.Recorded,
    };

    private static IEnumerable<TimelineStep> StepsOf(Order order, HistoryEntry entry)
    {
        if (entry.Publisher is { } publisher && publisher != AppIds.OrderService)
        {
            var detail = entry.Detail ?? new StepDetail();
            yield return new TimelineStep(
                entry.OccurredAt ?? entry.At, publisher, entry.Trigger, entry.Applied ? StepOutcome.Applied : StepOutcome.Recorded,
                IsCompensation(entry.Trigger, detail), detail, Note: entry.Note);
        }
        else if (entry.Published is null)
        {
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
