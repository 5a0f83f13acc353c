using Dapr.Workflow;
using DaprSaga.OrderProcessService.Saga;

namespace DaprSaga.OrderProcessService.Workflows;

/// <summary>Transient trouble with a participant, thrown so the workflow's retry policy retries the step.</summary>
public sealed class ParticipantUnavailableException(string participant, string? detail)
    : Exception($"{participant}: {detail}");

/// <summary>
/// Runs one step of <see cref="OrderSaga.Steps"/>, or its compensation, by name through
/// <see cref="Participants"/>. Idempotent because every participant command is (keyed by order
/// id), so the at-least-once dispatch of activities repeats no effect.
/// </summary>
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
