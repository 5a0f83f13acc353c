using System.Collections.Concurrent;
using System.Diagnostics;

namespace DaprSaga.Scenarios.Tests.Storm;

/// <summary>
/// Drives one storm on a cluster whose sidecars inject seeded faults: places the orders of both
/// flows in waves, restarts random services between phases, lets customers confirm, cancel and
/// race, then moves the fake clock through the lease, payment expiry and saga deadline, firing
/// every cron binding, until every order is terminal. Everything the storm chooses comes from
/// the seed; only the thread interleaving (and so which message a fault hits) does not.
/// </summary>
public sealed class StormRun(SagaCluster cluster, int seed)
{
    /// <summary>
    /// Clock steps between rounds of cron ticks: past a lease (30 s), within the payment window,
    /// past the payment expiry (15 min), past the saga deadline (30 min), then short ones.
    /// </summary>
    private static readonly TimeSpan[] Rounds =
    [
        TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(16), TimeSpan.FromMinutes(2),
        TimeSpan.FromMinutes(31), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1),
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1),
    ];

    /// <summary>Fault-free rounds: past a lease, then past a payment expiry and a saga deadline counted from the last round under faults.</summary>
    private static readonly TimeSpan[] Settle =
        [TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(16), TimeSpan.FromMinutes(31), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)];

    private static readonly TimeSpan Settling = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WorkerReconnect = TimeSpan.FromSeconds(7);
    private const int Waves = 3;
    private const int Concurrency = 8;

    private readonly Random _random = new(seed);
    private readonly ConcurrentDictionary<string, int> _restarts = new();
    private readonly ConcurrentDictionary<string, int> _answers = new();

    private long _phaseStarted = Stopwatch.GetTimestamp();

    public Retrying Http { get; } = new();

    /// <summary>Wall time per phase of the storm, for the summary.</summary>
    public List<(string Phase, TimeSpan Took)> Phases { get; } = [];

    private void EndPhase(string name)
    {
        Phases.Add((name, Stopwatch.GetElapsedTime(_phaseStarted)));
        _phaseStarted = Stopwatch.GetTimestamp();
    }

    public IReadOnlyDictionary<string, int> Restarts => _restarts;

    /// <summary>Customer commands by move and answer, e.g. "confirm 200".</summary>
    public IReadOnlyDictionary<string, int> CustomerAnswers => _answers;

    /// <summary>The round of cron ticks after which every order was terminal while faults were still on; null if none was.</summary>
    public int? TerminalAfterRound { get; private set; }

    /// <summary>Orders and orchestrations still open after the last round under faults.</summary>
    public int OpenUnderFaults { get; private set; }

    public TimeSpan ClockMoved { get; private set; }

    /// <summary>Replays of dead letters once the faults stopped.</summary>
    public int DeadLetterReplays { get; private set; }

    /// <summary>Fault-free rounds it took, once the faults stopped, until every order was terminal.</summary>
    public int SettleRounds { get; private set; }

    public string StormBuyer { get; private set; } = "";

    public async Task<IReadOnlyList<StormOrder>> RunAsync(int orderCount)
    {
        StormBuyer = await OpenStormBuyerAsync();
        // The faults start once the cluster is up and seeded: a demo-data seeder that hits one at
        // start-up retries after a delay on the injected clock, which only the rounds move.
        StormSummary.StartStorm(cluster.Testbed.Faults);
        var orders = Enumerable.Range(1, orderCount).Select(n => StormCatalogue.Draw(_random, n, StormBuyer)).ToList();
        // Orchestrated orders go to both engines; drawn apart from the order stream, so a seed
        // keeps the orders it drew before there were two engines.
        var engines = new Random(seed ^ 0x3A9E);
        foreach (var order in orders.Where(o => o.Flow == SagaFlow.Orchestration))
            order.Engine = engines.Next(2) == 0 ? SagaEngine.Runner : SagaEngine.Workflow;

        // Placed in waves with a restart between them, so sagas are in flight while a service goes down.
        foreach (var wave in orders.Chunk((orderCount + Waves - 1) / Waves))
        {
            await Parallel.ForEachAsync(wave, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (o, _) => await PlaceAsync(o));
            EndPhase("wave");
            await RestartOneAsync();
            EndPhase("restart");
        }
        await cluster.QuiesceAsync();
        EndPhase("quiesce");
        await AdvanceAsync(Rounds[0]);
        await AwaitNoProcessRunningAsync();
        EndPhase("first round");

        // The customers act in two halves with a restart between them.
        var waiting = orders.Where(o => !o.AutoConfirm).ToList();
        var half = waiting.Count / 2;
        foreach (var part in new[] { waiting[..half], waiting[half..] })
        {
            await Parallel.ForEachAsync(part, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (o, _) => await MoveAsync(o));
            await RestartOneAsync();
        }
        EndPhase("customer moves");

        for (var round = 1; round < Rounds.Length; round++)
        {
            if (round is 1 or 3) await RestartOneAsync();
            await AdvanceAsync(Rounds[round]);
            OpenUnderFaults = await OpenCountAsync();
            if (OpenUnderFaults == 0)
            {
                TerminalAfterRound = round;
                break;
            }
        }

        EndPhase("rounds under faults");
        await BringBackDownReplicaAsync();

        // Quiet: no more faults; the sweeps finish what the last injected failures left unsent.
        foreach (var kind in Enum.GetValues<FaultKind>()) cluster.Testbed.Faults.With(kind, 0);
        foreach (var step in Settle)
        {
            await ReplayDeadLettersAsync();
            await AdvanceAsync(step);
            SettleRounds++;
            await AwaitOpenWorkflowsAsync();
            if (await OpenCountAsync() == 0) break;
        }
        await cluster.QuiesceAsync();
        EndPhase("settling");
        return orders;
    }

    /// <summary>
    /// A delivery that failed every retry is dead-lettered (the README's "what it does not promise"), and
    /// the app keeps it for its operator, who replays it: here, each round until a replay is done.
    /// </summary>
    private async Task ReplayDeadLettersAsync()
    {
        foreach (var appId in cluster.Services.Select(s => s.AppId))
        {
            var deadLetters = await Http.GetExistingAsync<JsonArray>(Up(appId), "/dead-letters");
            var waiting = deadLetters.Select(d => d!.AsObject()).Where(d => (string?)d["lastReplayOutcome"] is not ("Done" or "Drop"));
            foreach (var id in waiting.Select(d => (string)d["id"]!))
            {
                using var replayed = await Http.PostAsync(Up(appId), $"/dead-letters/{id}/replay");
                DeadLetterReplays++;
            }
        }
    }

    private async Task<string> OpenStormBuyerAsync()
    {
        // Not idempotent (each POST opens a customer), but a 5xx here comes from the store write, before anything is stored.
        using var response = await Http.PostAsync(cluster.Payment, "/customers", new { name = "Storm buyer", credit = StormCatalogue.StormBuyerCredit });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["customerId"]!;
    }

    private async Task PlaceAsync(StormOrder order)
    {
        var body = new
        {
            customerId = order.CustomerId,
            items = order.Items.Select(i => new { productId = i.ProductId, quantity = i.Quantity, unitPrice = i.UnitPrice }),
            deliveryZone = order.Zone,
            autoConfirmPayment = order.AutoConfirm,
        };
        // Both take an Idempotency-Key, so a repeat after a 5xx (for a workflow, possibly after
        // its record was stored) starts one saga; the final check counts orders to be sure.
        using var response = order.Flow == SagaFlow.Choreography
            ? await Http.PostAsync(Up(AppIds.OrderService, order.Number), "/orders", body, idempotencyKey: $"storm-{seed}-{order.Number}")
            : await Http.PostAsync(Up(AppIds.OrderProcessService, order.Number), "/order-processes", new
            {
                body.customerId,
                body.items,
                body.deliveryZone,
                body.autoConfirmPayment,
                engine = order.Engine.GetValueOrDefault().ToString().ToLowerInvariant(),
            }, idempotencyKey: $"storm-{seed}-{order.Number}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        order.OrderId = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["orderId"]!;
    }

    private Task MoveAsync(StormOrder order)
    {
        // With replicas, racing commands land on different replicas of the app.
        var (payment, otherPayment, orders) =
            (Up(AppIds.PaymentService, order.Number), Up(AppIds.PaymentService, order.Number + 1), Up(AppIds.OrderService, order.Number + 1));
        return order.Move switch
        {
            CustomerMove.Confirm => CommandAsync("confirm", payment, $"/payments/{order.OrderId}/confirm"),
            CustomerMove.CancelPayment => CommandAsync("cancel payment", payment, $"/payments/{order.OrderId}/cancel"),
            CustomerMove.CancelOrder => CommandAsync("cancel order", orders, $"/orders/{order.OrderId}/cancel"),
            CustomerMove.ConfirmRacingOrderCancel => Task.WhenAll(
                CommandAsync("confirm (racing order cancel)", payment, $"/payments/{order.OrderId}/confirm"),
                CommandAsync("cancel order (racing confirm)", orders, $"/orders/{order.OrderId}/cancel")),
            CustomerMove.ConfirmRacingPaymentCancel => Task.WhenAll(
                CommandAsync("confirm (racing payment cancel)", payment, $"/payments/{order.OrderId}/confirm"),
                CommandAsync("cancel payment (racing confirm)", otherPayment, $"/payments/{order.OrderId}/cancel")),
            _ => Task.CompletedTask,
        };
    }

    /// <summary>
    /// A running instance of <paramref name="appId"/>, taking turns by <paramref name="n"/>: with
    /// one replica always the app itself; with more, never the one the storm has taken down.
    /// </summary>
    private ServiceUnderTest Up(string appId, int n = 0)
    {
        var running = cluster.Replicas(appId).Where(r => r.IsRunning).ToList();
        return running[n % running.Count];
    }

    /// <summary>
    /// One customer command. A 5xx is repeated (commands are idempotent per order); a 404 (the
    /// saga has not reached the payment yet) or a 409 is the customer's last word: they give up.
    /// </summary>
    private async Task CommandAsync(string name, ServiceUnderTest service, string path)
    {
        using var response = await Http.PostAsync(service, path);
        _answers.AddOrUpdate($"{name} {(int)response.StatusCode}", 1, (_, n) => n + 1);
    }

    /// <summary>
    /// Restarts one instance of a random app. With one replica it goes down and comes straight
    /// back; with more, it stays down through the next phase while its twin carries the app's
    /// traffic, and comes back at the next restart: one replica down at a time.
    /// </summary>
    private async Task RestartOneAsync()
    {
        await BringBackDownReplicaAsync();
        var services = cluster.AllReplicas.ToList();
        var victim = services[_random.Next(services.Count)];
        _restarts.AddOrUpdate(victim.Name, 1, (_, n) => n + 1);
        if (cluster.ReplicaCount == 1)
        {
            await victim.RestartAsync();
            return;
        }
        await victim.StopAsync();
        _down = victim;
    }

    private ServiceUnderTest? _down;

    private async Task BringBackDownReplicaAsync()
    {
        if (_down is not { } down) return;
        _down = null;
        await down.StartAsync();
    }

    private async Task AdvanceAsync(TimeSpan by)
    {
        ClockMoved += by;
        await cluster.AdvanceAsync(by);
    }

    /// <summary>
    /// Lets orchestrations started or resumed in the background reach a wait or an end. Bounded
    /// and not an error when it runs out: a process left Running waits for its lease to expire
    /// and the next recovery tick, which the rounds provide.
    /// </summary>
    private async Task AwaitNoProcessRunningAsync()
    {
        try
        {
            await Eventually.TrueAsync(async () =>
                (await Http.GetExistingAsync<JsonArray>(Up(AppIds.OrderProcessService), "/order-processes?status=Running")).Count == 0, Settling);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>
    /// Quiescence does not cover workflows, and a dropped work-item stream leaves every instance
    /// idle until the worker reconnects, a fixed 5 s of real time later: give open workflow sagas
    /// that long to move. Bounded and not an error: one waiting for a timer needs the next round.
    /// </summary>
    private async Task AwaitOpenWorkflowsAsync()
    {
        try
        {
            await Eventually.TrueAsync(async () =>
                (await Http.GetExistingAsync<JsonArray>(Up(AppIds.OrderProcessService), "/order-processes"))
                    .All(p => (string?)p!["engine"] != nameof(SagaEngine.Workflow) || IsTerminal(p.AsObject())), WorkerReconnect);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Orders and orchestrations not yet Completed or Cancelled, as the services list them.</summary>
    public async Task<int> OpenCountAsync()
    {
        var open = 0;
        foreach (var order in await ListOrdersAsync(cluster, Http, Up(AppIds.OrderService))) open += IsTerminal(order) ? 0 : 1;
        foreach (var process in await Http.GetExistingAsync<JsonArray>(Up(AppIds.OrderProcessService), "/order-processes"))
            open += IsTerminal(process!.AsObject()) ? 0 : 1;
        return open;
    }

    public static bool IsTerminal(JsonObject resource) => (string?)resource["status"] is "Completed" or "Cancelled";

    /// <summary>Every order order-service lists, all pages.</summary>
    /// <param name="orderService">The instance to ask (by default the first).</param>
    public static async Task<List<JsonObject>> ListOrdersAsync(SagaCluster cluster, Retrying http, ServiceUnderTest? orderService = null)
    {
        var orders = new List<JsonObject>();
        for (var page = 1; ; page++)
        {
            var listing = await http.GetExistingAsync<JsonObject>(orderService ?? cluster.Order, $"/orders?page={page}");
            var items = listing["items"]!.AsArray();
            orders.AddRange(items.Select(i => i!.AsObject()));
            if (items.Count == 0 || orders.Count >= (int)listing["totalCount"]!) return orders;
        }
    }
}
