using Dapr.Workflow;
using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService.Workflows;

/// <summary>
/// The saga on Dapr Workflow. Trouble is retried by the retry policy, then after a durable timer;
/// every few rounds without progress it continues as new, so its history stays bounded.
/// </summary>
public sealed class OrderSagaWorkflow : Workflow<OrderSagaInput, OrderSagaStatus>
{
    public const string ConfirmPayment = "ConfirmPayment";

    public const int RoundsPerGeneration = 10;

    public static readonly TimeSpan TroubleBackoff = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan PaymentCheckInterval = TimeSpan.FromMinutes(1);

    public static readonly WorkflowTaskOptions StepRetries = new()
    {
        RetryPolicy = new WorkflowRetryPolicy(
            maxNumberOfAttempts: 3, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(10)),
    };

    public override async Task<OrderSagaStatus> RunAsync(WorkflowContext context, OrderSagaInput input)
    {
        var request = input.Request;
        var progress = input.Progress ?? SagaProgress.Start(Now(context));
        context.SetCustomStatus(OrderSagaStatus.Of(progress, input.CreatedAt));
        var rounds = 0;
        // A decision that came while backing off; a payment decision lost with a generation is read at the wait's timeout.
        CustomerDecision? heard = null;
        while (!progress.IsTerminal)
        {
            var step = OrderSaga.Steps[progress.Step];
            var compensating = progress.Status == ProcessStatus.Compensating;
            var awaitsCustomer = !compensating && step.Name == ConfirmPayment && !request.AutoConfirmPayment;
            if (awaitsCustomer && progress.Status != ProcessStatus.WaitingForPayment)
            {
                progress = progress.Waiting(Now(context));
                context.SetCustomStatus(OrderSagaStatus.Of(progress, input.CreatedAt));
            }
            // An outside cancel before the pivot refuses the step at hand (order-service refuses one after it).
            var decided = !compensating && (awaitsCustomer || (heard?.Kind == CustomerDecisionKind.OrderCancelled && progress.Step < OrderSaga.PivotIndex))
                ? heard : null;
            if (decided is not null) heard = null;
            var result = compensating
                ? step.Compensation is null
                    ? StepResult.Done
                    : await TryStepAsync(context, new SagaStepCall(step.Name, Compensate: true, request with { Reason = progress.CancellationReason }))
                : decided is not null ? Decided(decided)
                : awaitsCustomer ? await AwaitCustomerAsync(context, request)
                : await TryStepAsync(context, new SagaStepCall(step.Name, Compensate: false, request));

            if (result is not null && progress.Apply(request, result, Now(context)) is { } next)
            {
                progress = next;
                context.SetCustomStatus(OrderSagaStatus.Of(progress, input.CreatedAt));
                continue;
            }
            if (++rounds >= RoundsPerGeneration)
            {
                // Unprocessed events (a customer's decision) go along to the next generation.
                context.ContinueAsNew(input with { Progress = progress }, preserveUnprocessedEvents: true);
                return OrderSagaStatus.Of(progress, input.CreatedAt);
            }
            // A payment check has just waited its interval; anything else waits before trying again, or until a decision comes.
            if (!awaitsCustomer) heard = await BackOffAsync(context) ?? heard;
        }
        return OrderSagaStatus.Of(progress, input.CreatedAt);
    }

    // Null when the participant stayed unreachable through every retry.
    private static async Task<StepResult?> TryStepAsync(WorkflowContext context, SagaStepCall call)
    {
        try
        {
            return await context.CallActivityAsync<StepResult>(nameof(SagaStepActivity), call, StepRetries);
        }
        catch (WorkflowTaskFailedException)
        {
            return null;
        }
    }

    // On timeout it reads the payment once, so a missed event cannot strand the saga.
    private static async Task<StepResult?> AwaitCustomerAsync(WorkflowContext context, SagaRequest request)
    {
        try
        {
            return Decided(await context.WaitForExternalEventAsync<CustomerDecision>(OrderSagaEvents.CustomerDecision, PaymentCheckInterval));
        }
        catch (TaskCanceledException)
        {
            return await TryStepAsync(context, new SagaStepCall(ConfirmPayment, Compensate: false, request));
        }
    }

    private static async Task<CustomerDecision?> BackOffAsync(WorkflowContext context)
    {
        try
        {
            return await context.WaitForExternalEventAsync<CustomerDecision>(OrderSagaEvents.CustomerDecision, TroubleBackoff);
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    private static StepResult Decided(CustomerDecision decision) => decision.Kind switch
    {
        CustomerDecisionKind.PaymentConfirmed => StepResult.Done,
        CustomerDecisionKind.PaymentCancelled => StepResult.Refused(decision.Reason ?? CancellationReason.PaymentCancelled),
        _ => StepResult.Refused(decision.Reason ?? CancellationReason.CustomerCancelled),
    };

    private static DateTimeOffset Now(WorkflowContext context) =>
        new(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));
}
