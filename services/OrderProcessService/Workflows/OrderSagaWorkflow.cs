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
        while (!progress.IsTerminal)
        {
            var step = OrderSaga.Steps[progress.Step];
            var awaitsCustomer = progress.Status != ProcessStatus.Compensating && step.Name == ConfirmPayment && !request.AutoConfirmPayment;
            if (awaitsCustomer && progress.Status != ProcessStatus.WaitingForPayment)
            {
                progress = progress.Waiting(Now(context));
                context.SetCustomStatus(OrderSagaStatus.Of(progress, input.CreatedAt));
            }
            var result = progress.Status == ProcessStatus.Compensating
                ? step.Compensation is null
                    ? StepResult.Done
                    : await TryStepAsync(context, new SagaStepCall(step.Name, Compensate: true, request with { Reason = progress.CancellationReason }))
                : awaitsCustomer
                    ? await AwaitCustomerAsync(context, request)
                    : await TryStepAsync(context, new SagaStepCall(step.Name, Compensate: false, request));

            if (result is not null && progress.Apply(result, Now(context)) is { } next)
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
            // A payment check has just waited its interval; anything else waits before trying again.
            if (!awaitsCustomer) await context.CreateTimer(TroubleBackoff);
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
            var decision = await context.WaitForExternalEventAsync<CustomerDecision>(OrderSagaEvents.CustomerDecision, PaymentCheckInterval);
            return decision.Kind switch
            {
                CustomerDecisionKind.PaymentConfirmed => StepResult.Done,
                CustomerDecisionKind.PaymentCancelled => StepResult.Refused(decision.Reason ?? CancellationReason.PaymentCancelled),
                _ => StepResult.Refused(decision.Reason ?? CancellationReason.CustomerCancelled),
            };
        }
        catch (TaskCanceledException)
        {
            return await TryStepAsync(context, new SagaStepCall(ConfirmPayment, Compensate: false, request));
        }
    }

    private static DateTimeOffset Now(WorkflowContext context) =>
        new(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));
}
