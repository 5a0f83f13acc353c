using Xunit.Abstractions;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>
/// What orchestrated sagas cost in calls to the sidecar. The bench's cost is set by these calls,
/// so each budget is a ceiling a change may lower but not raise. Counts are exact: no timing.
/// </summary>
public sealed class ProcessCallBudgetTests(ITestOutputHelper output)
{
    /// <summary>State calls per happy saga once the index shards exist: 19 before (R 9, W 9, T 1).</summary>
    private const long HappySagaBudget = 7;

    /// <summary>State calls of a recovery pass looking at three waiting sagas: 11 before (R 5, W 6).</summary>
    private const long RecoveryPassBudget = 2;

    /// <summary>
    /// Service invocations per happy auto-confirm saga: one per step, none for ConfirmPayment (the
    /// payment is created pre-authorised), and two for the last (commit the stock, complete the order).
    /// </summary>
    private const long HappySagaInvocationBudget = 7;

    [Fact]
    public async Task AHappySagaStaysWithinItsBudgetOfStateCallsAndCallsEachStepOnce()
    {
        await using var app = await OrchestratorApp.StartAsync();
        app.CreateIndexShards();
        // payment-service announces the confirmation to both flows, so the orchestrator hears of
        // its own pre-authorised create while it drives the rest of the saga (as in the bench).
        var payments = app.Participants[AppIds.PaymentService];
        payments.Answer = call => call.StartsWith("POST /payments/", StringComparison.Ordinal) && call.Count(c => c == '/') == 2
            ? AnnounceConfirmationAsync(app, call.Split('/')[2])
            : null;
        var before = Counts(app);

        var id = await app.StartProcessAsync();
        await OrchestratorApp.UntilAsync(() => app.Stored(id) is { Status: ProcessStatus.Completed }, "the process completed");
        await app.IdleAsync();

        var (kinds, families) = Spent(app, before);
        Assert.Equal(HappySagaInvocationBudget, kinds.GetValueOrDefault(SidecarCallKind.Invoke));
        Assert.Equal([$"POST /payments/{id}"], payments.Calls);
        Assert.Equal(0, kinds.GetValueOrDefault(SidecarCallKind.StateTransaction));
        Assert.InRange(StateCalls(kinds), 1, HappySagaBudget);
        // Per instance: one create, then a read (for the ETag) and a write after the pivot and at the end.
        Assert.Equal(2, families.GetValueOrDefault("StateRead process-{id}"));
        Assert.Equal(3, families.GetValueOrDefault("StateWrite process-{id}"));
        Assert.True(app.Index("running-processes").Contains(id), "a finished instance leaves the running index in the recovery pass");
        Assert.DoesNotContain(id, app.Index("processes")); // a start never touches the list of all, which only grows

        before = Counts(app);
        Assert.Equal(HttpStatusCode.OK, await app.TriggerRecoveryAsync());
        Assert.DoesNotContain(id, app.Index("running-processes"));
        Assert.Contains(id, app.Index("processes"));
        // It finished in this replica, so the pass moves it on without reading it.
        Assert.Equal(0, Spent(app, before).Families.GetValueOrDefault("StateRead process-{id}"));
    }

    [Fact]
    public async Task ARecoveryPassReadsItsInstancesInBulkAndLeasesThemAgainstThatRead()
    {
        await using var app = await OrchestratorApp.StartAsync();
        var payments = app.Participants[AppIds.PaymentService];
        payments.Answer = call => call.StartsWith("GET /payments/", StringComparison.Ordinal)
            ? Task.FromResult(ParticipantStub.Json(HttpStatusCode.OK, new PaymentView("o-1", "alice", 20.00m, PaymentStatus.Pending, null, null)))
            : null;
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await app.StartProcessAsync(autoConfirmPayment: false));
        await OrchestratorApp.UntilAsync(
            () => ids.All(id => app.Stored(id) is { Status: ProcessStatus.WaitingForPayment, LeaseOwner: null }),
            "every process waits for its payment");
        var before = Counts(app);

        Assert.Equal(HttpStatusCode.OK, await app.TriggerRecoveryAsync());

        var (kinds, _) = Spent(app, before);
        Assert.Equal(6, payments.Calls.Count(c => c.StartsWith("GET /payments/", StringComparison.Ordinal))); // once when started, once now
        Assert.All(ids, id => Assert.Equal((ProcessStatus.WaitingForPayment, null), (app.Stored(id)!.Status, app.Stored(id)!.LeaseOwner)));
        Assert.InRange(StateCalls(kinds), 1, RecoveryPassBudget);
    }

    private static async Task<HttpResponseMessage> AnnounceConfirmationAsync(OrchestratorApp app, string orderId)
    {
        await app.SendAsync(new PaymentConfirmed(orderId, SagaFlow.Orchestration, 20.00m, app.Clock.GetUtcNow()));
        return ParticipantStub.Json(HttpStatusCode.OK, new PaymentView(orderId, "alice", 20.00m, PaymentStatus.Confirmed, null, null));
    }

    private static long StateCalls(IReadOnlyDictionary<SidecarCallKind, long> kinds) =>
        kinds.GetValueOrDefault(SidecarCallKind.StateRead) + kinds.GetValueOrDefault(SidecarCallKind.StateWrite)
        + kinds.GetValueOrDefault(SidecarCallKind.StateTransaction);

    private static (IReadOnlyDictionary<SidecarCallKind, long>, IReadOnlyDictionary<string, long>) Counts(OrchestratorApp app) =>
        (app.Sidecar.Calls.Snapshot(), app.Sidecar.Calls.ByKeyFamily());

    private (Dictionary<SidecarCallKind, long> Kinds, Dictionary<string, long> Families) Spent(
        OrchestratorApp app, (IReadOnlyDictionary<SidecarCallKind, long> Kinds, IReadOnlyDictionary<string, long> Families) before)
    {
        var kinds = Minus(app.Sidecar.Calls.Snapshot(), before.Kinds);
        var families = Minus(app.Sidecar.Calls.ByKeyFamily(), before.Families);
        foreach (var (name, count) in families.OrderBy(f => f.Key, StringComparer.Ordinal)) output.WriteLine($"{count,3} {name} (keys)");
        foreach (var (kind, count) in kinds.OrderBy(k => k.Key)) output.WriteLine($"{count,3} {kind} (calls)");
        return (kinds, families);
    }

    private static Dictionary<TKey, long> Minus<TKey>(IReadOnlyDictionary<TKey, long> after, IReadOnlyDictionary<TKey, long> before)
        where TKey : notnull =>
        after.Select(a => (a.Key, Count: a.Value - before.GetValueOrDefault(a.Key)))
            .Where(a => a.Count != 0)
            .ToDictionary(a => a.Key, a => a.Count);
}
