using System.Globalization;
using System.Text;

namespace DaprSaga.Scenarios.Tests.Storm;

/// <summary>The faults a storm injects, and the report it prints.</summary>
public static class StormSummary
{
    /// <summary>Moderate probabilities: every kind happens many times in a storm, yet most sagas see only a few.</summary>
    public static FaultPlan StartStorm(FaultPlan faults) => faults
        .With(FaultKind.DuplicateDelivery, 0.10)
        .With(FaultKind.ReorderDelivery, 0.10)
        .With(FaultKind.DelayDelivery, 0.10)
        .With(FaultKind.FailBeforeDelivery, 0.05)
        .With(FaultKind.LostAck, 0.05)
        .With(FaultKind.StateError, 0.02)
        .With(FaultKind.PublishError, 0.02)
        .With(FaultKind.LostInvocationResponse, 0.05)
        // Workflow faults: a dropped stream stalls every instance for the worker's fixed 5 s reconnect, so rarely.
        .With(FaultKind.LostActivityResult, 0.05)
        .With(FaultKind.WorkflowStreamDrop, 0.01);

    public static string Format(
        int seed, TimeSpan elapsed, SagaCluster cluster, StormRun run, StormCheck check, IReadOnlyList<StormOrder> orders, Exception? crashed)
    {
        var injected = cluster.Testbed.Faults.Injected;
        long Injected(FaultKind kind) => injected.GetValueOrDefault(kind);
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');

        var flows = orders.GroupBy(o => o.Engine is { } engine ? $"{o.Flow} on {engine}" : o.Flow.ToString())
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
        var replicas = cluster.ReplicaCount == 1 ? "" : $" on {cluster.ReplicaCount} replicas of every app";
        Line($"Fault storm, seed {seed}{replicas}: {orders.Count} orders ({string.Join(", ", flows)}) in {elapsed.TotalSeconds:F1} s");
        Line($"  terminal states: {Counts(check.Orders.GroupBy(o => o.Status))}");
        foreach (var flow in check.Orders.GroupBy(o => o.Engine is { } engine ? $"{o.Flow} on {engine}" : o.Flow).OrderBy(g => g.Key, StringComparer.Ordinal))
            Line($"    {flow.Key}: {Counts(flow.GroupBy(o => o.Status))}");
        Line($"  cancellation reasons: {Counts(check.Orders.Where(o => o.Status == "Cancelled").GroupBy(o => o.Reason ?? "(none)"))}");
        Line($"  customer commands (move answer: count): {Counts(run.CustomerAnswers.Select(a => (a.Key, (long)a.Value)))}");
        Line($"  faults injected: {Counts(injected.Select(i => (i.Key.ToString(), i.Value)))}");
        Line($"  workflow work items handed out again: {cluster.Testbed.Workflows(AppIds.OrderProcessService).Redispatched}");
        Line($"  restarts: {Counts(run.Restarts.Select(r => (r.Key, (long)r.Value)))}");
        Line($"  duplicates absorbed: {Injected(FaultKind.DuplicateDelivery) + Injected(FaultKind.LostAck) + Injected(FaultKind.LostInvocationResponse)}"
            + $" ({Injected(FaultKind.DuplicateDelivery)} duplicated deliveries, {Injected(FaultKind.LostAck)} redeliveries after a lost ack,"
            + $" {Injected(FaultKind.LostInvocationResponse)} participant commands repeated after a lost response)");
        Line($"  redeliveries: {cluster.Testbed.Redeliveries} ({Injected(FaultKind.FailBeforeDelivery)} failed before delivery,"
            + $" {Injected(FaultKind.LostAck)} lost acks, the rest RETRY answers or deliveries to a restarting app);"
            + $" dead-lettered {cluster.Testbed.DeadLettered} (replayed {run.DeadLetterReplays} times once quiet), dropped {cluster.Testbed.Dropped}");
        Line($"  storm's own calls repeated after a 5xx: {run.Http.Repeated}");
        Line(run.TerminalAfterRound is { } round
            ? $"  every order terminal after {round} round(s) of cron ticks under faults"
            : $"  WARNING: {run.OpenUnderFaults} order(s) or orchestration(s) still open after every round of cron ticks under faults (liveness, not an invariant)");
        Line($"  then {run.SettleRounds} fault-free round(s) until quiet; clock moved {run.ClockMoved} in all");
        Line($"  wall time: {string.Join(", ", run.Phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.Took.TotalSeconds:F1} s")))}");
        if (crashed is not null) Line($"  the storm stopped on {crashed.GetType().Name}: {crashed.Message}");
        Line(check.Violations.Count == 0 && crashed is null
            ? $"  invariants: all {check.Checked.Count} hold"
            : $"  invariants: {check.Violations.Count} violation(s) in {check.Checked.Count} checked");
        foreach (var violation in check.Violations.Take(40)) Line($"    {violation}");
        if (check.Violations.Count > 40) Line($"    ... and {check.Violations.Count - 40} more");
        Line($"  replay: {StormSettings.ReplayCommand(seed)}");
        return text.ToString();
    }

    private static string Counts<T>(IEnumerable<IGrouping<string, T>> groups) => Counts(groups.Select(g => (g.Key, (long)g.Count())));

    private static string Counts(IEnumerable<(string Key, long Count)> counts)
    {
        var listed = counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Count}")).ToList();
        return listed.Count == 0 ? "none" : string.Join(", ", listed);
    }

    /// <summary>
    /// Writes the summary where a passing run also leaves it: `dotnet test` shows a passing
    /// test's output only at detailed verbosity, so it also goes to TestResults/fault-storm/ at
    /// the repository root (git-ignored).
    /// </summary>
    /// <param name="replicas">Instances of each app; a storm on replicas gets a file of its own.</param>
    public static string WriteFile(int seed, string summary, int replicas = 1)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DaprSaga.sln"))) directory = directory.Parent;
        var folder = Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, "TestResults", "fault-storm");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, replicas == 1 ? $"seed-{seed}.txt" : $"seed-{seed}-replicas-{replicas}.txt");
        File.WriteAllText(path, summary);
        return path;
    }
}
