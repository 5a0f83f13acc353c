using DaprSaga.OrderProcessService.Processes;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>How the orchestrator runs, resumes and indexes its instances against a real (test) sidecar.</summary>
public sealed class ProcessRunnerTests
{
    [Fact]
    public async Task ANewInstanceIsStoredLeasedSoARecoveryTickCannotDriveItASecondTime()
    {
        await using var app = await OrchestratorApp.StartAsync();
        var orders = app.Participants[AppIds.OrderService];
        var createOrder = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        orders.Answer = call => call.StartsWith("PUT /orders/", StringComparison.Ordinal)
            ? createOrder.Task.ContinueWith(_ => ParticipantStub.Json(HttpStatusCode.OK, new { }), TaskScheduler.Default)
            : null;

        var id = await app.StartProcessAsync();
        await OrchestratorApp.UntilAsync(() => orders.Calls.Contains($"PUT /orders/{id}"), "the runner is in its first step");
        Assert.NotNull(app.Stored(id)!.LeaseOwner);
        Assert.Equal(HttpStatusCode.OK, await app.TriggerRecoveryAsync());
        createOrder.SetResult();
        await OrchestratorApp.UntilAsync(() => app.Stored(id) is { Status: ProcessStatus.Completed }, "the process completed");

        Assert.Single(orders.Calls, $"PUT /orders/{id}");
        Assert.Null(app.Stored(id)!.LeaseOwner);
    }

    [Fact]
    public async Task APaymentEventArrivingWhileTheRunnerIsAboutToWaitRunsTheSagaOnAtOnce()
    {
        await using var app = await OrchestratorApp.StartAsync();
        var payments = app.Participants[AppIds.PaymentService];
        var firstLook = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var looks = 0;
        payments.Answer = call => !call.StartsWith("GET /payments/", StringComparison.Ordinal) ? null
            : Interlocked.Increment(ref looks) == 1
                ? firstLook.Task.ContinueWith(_ => ParticipantStub.Json(HttpStatusCode.OK, new PaymentView("o-1", "alice", 20.00m, PaymentStatus.Pending, null, null)), TaskScheduler.Default)
                : Task.FromResult(ParticipantStub.Json(HttpStatusCode.OK, new PaymentView("o-1", "alice", 20.00m, PaymentStatus.Confirmed, null, null)));

        var id = await app.StartProcessAsync(autoConfirmPayment: false);
        await OrchestratorApp.UntilAsync(() => payments.Calls.Contains($"GET /payments/{id}"), "the runner looks at the payment");
        // The customer confirms between the runner's look (still Pending) and its save of "waiting".
        await app.SendAsync(new PaymentConfirmed(id, SagaFlow.Orchestration, 20.00m, app.Clock.GetUtcNow()));
        await app.IdleAsync();
        firstLook.SetResult();

        // No recovery tick and no time passing: the event alone moves the saga on.
        await OrchestratorApp.UntilAsync(() => app.Stored(id) is { Status: ProcessStatus.Completed }, "the process completed");
        Assert.Equal(2, looks);
    }

    [Fact]
    public async Task APaymentEventForASagaThatFinishedHereCostsNoCall()
    {
        await using var app = await OrchestratorApp.StartAsync();
        var id = await app.StartProcessAsync();
        await OrchestratorApp.UntilAsync(() => app.Stored(id) is { Status: ProcessStatus.Completed }, "the process completed");
        var worker = app.Services.GetRequiredService<ProcessWorker>();
        var before = app.Sidecar.Calls.Snapshot();

        Assert.False(worker.Enqueue(id));
        await app.SendAsync(new PaymentConfirmed(id, SagaFlow.Orchestration, 20.00m, app.Clock.GetUtcNow()));
        await app.IdleAsync();

        var after = app.Sidecar.Calls.Snapshot();
        Assert.Equal(before[SidecarCallKind.StateRead], after[SidecarCallKind.StateRead]);
        Assert.Equal(before[SidecarCallKind.StateWrite], after[SidecarCallKind.StateWrite]);
        Assert.True(worker.Enqueue(Guid.NewGuid().ToString("N")), "an instance this app has not seen is run (and found missing)");
    }

    /// <param name="shardsExist">Whether the shards are there already (then written against their ETags) or created by these very starts (first-write).</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InstancesStartedTogetherAreAllInTheRunningIndexAlsoWithAnApiToken(bool shardsExist)
    {
        await using var app = await OrchestratorApp.StartAsync(daprApiToken: "orchestrator-token");
        if (shardsExist) app.CreateIndexShards();
        // order-service is down, so every instance stays running (and in the running index).
        app.Participants[AppIds.OrderService].Answer = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));

        var ids = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => app.StartProcessAsync()));

        Assert.Superset(ids.ToHashSet(), app.Index("running-processes").ToHashSet());
        Assert.All(ids, id => Assert.Equal(ProcessStatus.Running, app.Stored(id)!.Status));
    }
}
