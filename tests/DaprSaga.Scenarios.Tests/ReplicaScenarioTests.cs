
namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// Issue "Replicas": two instances of every app, each beside its own sidecar of the app id, on one
/// testbed. Each message goes to one replica of each subscribing app, invocations and work items
/// spread over the replicas, state is shared: every saga still ends once, each effect happens once,
/// also when a replica of each app goes down and comes back while sagas run.
/// </summary>
public sealed class ReplicaScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync(replicas: 2))
{
    public static TheoryData<SagaEngine> Engines => new(Enum.GetValues<SagaEngine>());

    private const decimal Credit = 10000.00m;
    private const int Widgets = 1000;

    /// <summary>Enough rounds of clock and cron for a runner lease held by a stopped replica to expire and be recovered.</summary>
    private const int SettleRounds = 12;

    private static readonly TimeSpan PastALease = TimeSpan.FromSeconds(40);

    /// <summary>The <paramref name="n"/>-th instance of the app, taking turns over its replicas.</summary>
    private ServiceUnderTest Turn(string appId, int n) => Host.Replicas(appId)[n % Host.ReplicaCount];

    /// <summary>Places a happy choreography order of 2 widgets for alice in the north on <paramref name="orders"/>.</summary>
    private static Task<string> PlaceOnAsync(ServiceUnderTest orders) => SubmitAsync(orders, "/orders", engine: null);

    /// <summary>Starts a happy orchestrated order of 2 widgets for alice in the north on <paramref name="processes"/>.</summary>
    private static Task<string> StartOnAsync(ServiceUnderTest processes, SagaEngine engine) => SubmitAsync(processes, "/order-processes", engine);

    private static async Task<string> SubmitAsync(ServiceUnderTest service, string path, SagaEngine? engine)
    {
        using var response = await service.Http.PostAsJsonAsync(new Uri(path, UriKind.Relative), new
        {
            customerId = "alice",
            items = new[] { new { productId = "widget", quantity = 2, unitPrice = 10.00m } },
            deliveryZone = "north",
            autoConfirmPayment = true,
            engine = engine?.ToString().ToLowerInvariant(),
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["orderId"]!;
    }

    /// <summary>
    /// Every order Completed with its own effects, and the shared resources moved by exactly that
    /// many orders of 2 widgets at 10.00: nothing taken, sold or assigned twice.
    /// </summary>
    private async Task ExpectEveryOrderCompletedOnceAsync(List<string> ids)
    {
        foreach (var id in ids)
        {
            Assert.Equal("Completed", (string?)(await Host.OrderAsync(id))["status"]);
            Assert.Equal("Committed", (string?)(await Host.ReservationAsync(id))["status"]);
            var payment = await Host.PaymentAsync(id);
            Assert.Equal(("Confirmed", 20.00m), ((string?)payment["status"], (decimal)payment["amount"]!));
            Assert.Equal("Scheduled", (string?)(await Host.DeliveryAsync(id))["status"]);
        }
        await Expect.StockAsync(Host, "widget", Widgets - 2 * ids.Count, reserved: 0, sold: 2 * ids.Count);
        Assert.Equal(Credit - 20.00m * ids.Count, (decimal)(await Host.CustomerAsync("alice"))["credit"]!);
        var active = 0;
        foreach (var courier in new[] { "c-north-1", "c-north-2", "c-south-1", "c-east-1" })
            active += (int)(await Host.CourierAsync(courier))["activeDeliveries"]!;
        Assert.Equal(ids.Count, active);
    }

    /// <summary>Both replicas of <paramref name="appId"/> handled some of its deliveries.</summary>
    private void ExpectDeliveriesOnEveryReplica(string appId) =>
        Assert.All(Host.Replicas(appId), r => Assert.True(r.Sidecar.Calls[SidecarCallKind.Delivery] > 0, $"{r.Name} got no delivery"));

    [Fact]
    public async Task WithTwoReplicasOfEveryAppHappyChoreographyOrdersCompleteWithEveryEffectOnce()
    {
        var ids = new List<string>();
        for (var n = 0; n < 4; n++) ids.Add(await PlaceOnAsync(Turn(AppIds.OrderService, n)));
        await Host.QuiesceAsync();

        await ExpectEveryOrderCompletedOnceAsync(ids);
        foreach (var appId in new[] { AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService })
            ExpectDeliveriesOnEveryReplica(appId);
    }

    [Theory]
    [InlineData("NoCourierAvailable", "alice", "west", "widget", 2, 10.00, 10000.00)]
    [InlineData("InsufficientCredit", "carol", "north", "widget", 1, 10.00, 0.00)]
    public async Task WithTwoReplicasOfEveryAppARefusedChoreographyOrderIsCancelledWithNothingKept(
        string reason, string customer, string zone, string product, int quantity, double unitPrice, double credit)
    {
        // Placed on the second replica, so its own sidecar publishes the saga's first event.
        using var response = await Host.Replicas(AppIds.OrderService)[1].Http.PostAsJsonAsync(new Uri("/orders", UriKind.Relative), new
        {
            customerId = customer,
            items = new[] { new { productId = product, quantity, unitPrice = (decimal)unitPrice } },
            deliveryZone = zone,
            autoConfirmPayment = true,
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["orderId"]!;
        await Host.QuiesceAsync();

        await Expect.CancelledAsync(Host, id, reason, customer, (decimal)credit, product, Widgets);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task WithTwoReplicasOfEveryAppOrchestratedOrdersCompleteOnceOnEitherReplica(SagaEngine engine)
    {
        var ids = new List<string>();
        for (var n = 0; n < 4; n++) ids.Add(await StartOnAsync(Turn(AppIds.OrderProcessService, n), engine));
        foreach (var id in ids) await Host.SettleProcessAsync(id);

        foreach (var id in ids) await Expect.ProcessAsync(Host, id, engine, "Completed", null, Expect.PreauthorisedSteps);
        await ExpectEveryOrderCompletedOnceAsync(ids);
        if (engine == SagaEngine.Workflow)
        {
            // One backend for both workers: each instance ended once.
            var workflows = Host.Testbed.Workflows(AppIds.OrderProcessService);
            Assert.All(ids, id => Assert.Single(workflows.HistoryOf(id), e => e.ExecutionCompleted is not null));
        }
    }

    [Fact]
    public async Task WithOneReplicaOfEveryAppRestartedWhileSagasRunEverySagaCompletesOnce()
    {
        var ids = new List<string>();
        async Task PlaceEveryKindAsync(int replica)
        {
            ids.Add(await PlaceOnAsync(Host.Replicas(AppIds.OrderService)[replica]));
            ids.Add(await StartOnAsync(Host.Replicas(AppIds.OrderProcessService)[replica], SagaEngine.Runner));
            ids.Add(await StartOnAsync(Host.Replicas(AppIds.OrderProcessService)[replica], SagaEngine.Workflow));
        }
        await PlaceEveryKindAsync(0);
        await PlaceEveryKindAsync(1);

        // The first replica of every app goes down with sagas in flight; the second carries on,
        // takes new orders, and the first comes back.
        var first = Host.Services.ToList();
        foreach (var replica in first) await replica.StopAsync();
        await PlaceEveryKindAsync(1);
        foreach (var replica in first) await replica.StartAsync();
        await PlaceEveryKindAsync(0);

        // A runner saga whose replica went down keeps its lease until it expires and a recovery tick takes it.
        for (var round = 0; round < SettleRounds && !await AllEndedAsync(ids); round++) await Host.AdvanceAsync(PastALease);
        await Host.QuiesceAsync();

        await ExpectEveryOrderCompletedOnceAsync(ids);
        foreach (var (id, engine) in ids.Select((id, i) => (id, i % 3)).Where(o => o.Item2 != 0).Select(o => (o.id, o.Item2 == 1 ? SagaEngine.Runner : SagaEngine.Workflow)))
        {
            await Host.SettleProcessAsync(id);
            await Expect.ProcessAsync(Host, id, engine, "Completed", null, Expect.PreauthorisedSteps);
        }
    }

    private async Task<bool> AllEndedAsync(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            // An orchestrated order exists once the orchestrator's first step reached order-service.
            if (await SagaCluster.StatusOfAsync(Host.Order, $"/orders/{id}") != HttpStatusCode.OK
                || (string?)(await Host.OrderAsync(id))["status"] is not ("Completed" or "Cancelled"))
                return false;
        }
        return true;
    }
}
