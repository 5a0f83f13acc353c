using Dapr.Workflow;
using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService.Workflows;

/// <summary>Transient trouble with a participant, thrown so the workflow's retry policy retries the step.</summary>
public sealed class ParticipantUnavailableException(string participant, string? detail)
    : Exception($"{participant}: {detail}");

/// <summary>A step or its compensation; every participant command is idempotent per order id, so a repeated dispatch repeats no effect.</summary>
public sealed class SagaStepActivity(Participants participants) : WorkflowActivity<SagaStepCall, StepResult>
{
    public override async Task<StepResult> RunAsync(WorkflowActivityContext context, SagaStepCall input)
    {
        var step = OrderSaga.Steps.Single(s => s.Name == input.Step);
        var run = input.Compensate ? step.Compensation : step.Action;
        if (run is null) return StepResult.Done;
        var result = await run(participants, input.Request, CancellationToken.None);
        return result.Outcome == StepOutcome.Transient ? throw new ParticipantUnavailableException(step.Participant, result.Detail) : result;
    }
}
