using Dapr.Workflow;

namespace DaprSaga.TestSidecar.Tests;

// Workflows and activities the backend tests run through the real Dapr.Workflow worker.
// Activities report to the shared Probe (DI); workflows must stay deterministic and inject nothing.

public sealed class GreetWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input) =>
        context.CallActivityAsync<string>(nameof(GreetActivity), input);
}

public sealed class GreetActivity(Probe probe) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Hit(nameof(GreetActivity));
        return Task.FromResult($"Hello, {input}");
    }
}

public sealed class OutOfStockActivity(Probe probe) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Hit(nameof(OutOfStockActivity));
        throw new InvalidOperationException($"{input} is out of stock");
    }
}

/// <summary>Catches the failed activity and returns what the failure carried.</summary>
public sealed class CatchingWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        try
        {
            return await context.CallActivityAsync<string>(nameof(OutOfStockActivity), input);
        }
        catch (WorkflowTaskFailedException e)
        {
            return $"{e.FailureDetails.ErrorType}|{e.FailureDetails.ErrorMessage}|{e.FailureDetails.IsCausedBy<InvalidOperationException>()}";
        }
    }
}

public sealed class UncaughtWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input) =>
        context.CallActivityAsync<string>(nameof(OutOfStockActivity), input);
}

/// <summary>Fails twice, then succeeds.</summary>
public sealed class FlakyActivity(Probe probe) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        var attempt = probe.Hit(nameof(FlakyActivity));
        if (attempt < 3) throw new TimeoutException($"attempt {attempt} timed out");
        return Task.FromResult($"{input} after {attempt} attempts");
    }
}

public sealed class RetryingWorkflow : Workflow<string, string>
{
    public static readonly TimeSpan FirstRetryInterval = TimeSpan.FromSeconds(5);

    public override Task<string> RunAsync(WorkflowContext context, string input) =>
        context.CallActivityAsync<string>(nameof(FlakyActivity), input, new WorkflowTaskOptions
        {
            RetryPolicy = new WorkflowRetryPolicy(maxNumberOfAttempts: 3, firstRetryInterval: FirstRetryInterval, backoffCoefficient: 2.0),
        });
}

/// <summary>Sleeps on a durable timer and returns how long the workflow clock moved.</summary>
public sealed class TimerWorkflow : Workflow<int, double>
{
    public override async Task<double> RunAsync(WorkflowContext context, int minutes)
    {
        var start = context.CurrentUtcDateTime;
        await context.CreateTimer(TimeSpan.FromMinutes(minutes));
        return (context.CurrentUtcDateTime - start).TotalMinutes;
    }
}

/// <summary>Runs until the test opens the gate named by its input; returns the input.</summary>
public sealed class GatedActivity(Probe probe) : WorkflowActivity<string, string>
{
    public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Hit($"{nameof(GatedActivity)}:{input}");
        await probe.Gate(input);
        return input;
    }
}

public sealed class EchoActivity(Probe probe) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Hit($"{nameof(EchoActivity)}:{input}");
        return Task.FromResult(input);
    }
}

/// <summary>Is busy in an activity, then waits for "approval" (which may have arrived meanwhile).</summary>
public sealed class ApprovalWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string gate)
    {
        await context.CallActivityAsync<string>(nameof(GatedActivity), gate);
        return await context.WaitForExternalEventAsync<string>("approval", TimeSpan.FromHours(1));
    }
}

/// <summary>Two activities in parallel: one quick, one held at a gate.</summary>
public sealed class FanOutWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string gate)
    {
        var quick = context.CallActivityAsync<string>(nameof(EchoActivity), "quick");
        var held = context.CallActivityAsync<string>(nameof(GatedActivity), gate);
        await Task.WhenAll(quick, held);
        return $"{quick.Result}+{held.Result}";
    }
}

/// <summary>An activity, a wait for "go" without timeout, another activity.</summary>
public sealed class ResumableWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var first = await context.CallActivityAsync<string>(nameof(EchoActivity), input);
        var go = await context.WaitForExternalEventAsync<string>("go");
        var second = await context.CallActivityAsync<string>(nameof(EchoActivity), go);
        return $"{first}+{second}";
    }
}

/// <summary>Waits for an event nobody sends.</summary>
public sealed class WaitingWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input) =>
        await context.WaitForExternalEventAsync<string>("never");
}

/// <summary>Two held activities in parallel, gated by "{input}-a" and "{input}-b".</summary>
public sealed class PairWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var results = await Task.WhenAll(
            context.CallActivityAsync<string>(nameof(GatedActivity), $"{input}-a"),
            context.CallActivityAsync<string>(nameof(GatedActivity), $"{input}-b"));
        return string.Join("+", results);
    }
}

/// <summary>Runs an activity, then starts over with one less until zero (ContinueAsNew).</summary>
public sealed class CountdownWorkflow : Workflow<int, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, int remaining)
    {
        await context.CallActivityAsync<string>(nameof(EchoActivity), $"countdown-{remaining}");
        if (remaining == 0) return "lift-off";
        context.ContinueAsNew(remaining - 1);
        return "";
    }
}
