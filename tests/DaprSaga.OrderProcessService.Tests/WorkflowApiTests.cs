using System.Text;
using Dapr.DurableTask.Protobuf;
using Dapr.Workflow.Worker;
using DaprSaga.OrderProcessService.Workflows;
using DaprSaga.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>
/// POST/GET /order-processes with both engines: the engine chosen per order, Idempotency-Key,
/// and the customer's decisions handed to a waiting workflow. The workflow backend is a fake
/// behind the app's own gRPC client; the runner runs for real against the test sidecar.
/// </summary>
public sealed class WorkflowApiTests
{
    /// <summary>Stands in for the sidecar's workflow backend; each test gets its own (xUnit makes a new instance per test).</summary>
    private FakeTaskHub Hub { get; } = new();

    private Task<OrchestratorApp> StartWithWorkflowsAsync() => OrchestratorApp.StartAsync(defaultEngine: SagaEngine.Workflow, taskHub: Hub);

    private static object Body(string? engine = null, bool autoConfirmPayment = true, int quantity = 2) => new
    {
        customerId = "alice",
        items = new[] { new { productId = "widget", quantity, unitPrice = 10.00m } },
        deliveryZone = "north",
        autoConfirmPayment,
        engine,
    };

    private static async Task<HttpResponseMessage> PostAsync(OrchestratorApp app, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/order-processes", UriKind.Relative)) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null) request.Headers.Add(ApiAnswers.IdempotencyKeyHeader, idempotencyKey);
        return await app.Http.SendAsync(request);
    }

    private static async Task<JsonObject> StartAsync(OrchestratorApp app, object body, string? idempotencyKey = null)
    {
        using var response = await PostAsync(app, body, idempotencyKey);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task<JsonNode?> GetAsync(OrchestratorApp app, string path) =>
        await app.Http.GetFromJsonAsync<JsonNode>(new Uri(path, UriKind.Relative));

    private static string Json(object value) => JsonSerializer.Serialize(value, ServiceDefaultsExtensions.JsonOptions);

    [Fact]
    public async Task WorkflowIsTheDefaultEngineAndItsInstanceIsNamedByTheOrderId()
    {
        await using var app = await StartWithWorkflowsAsync();

        var view = await StartAsync(app, Body());

        var id = (string)view["orderId"]!;
        Assert.Equal(("Workflow", "Running", "CreateOrder"), ((string?)view["engine"], (string?)view["status"], (string?)view["currentStep"]));
        var start = Assert.Single(Hub.Started);
        Assert.Equal((id, nameof(OrderSagaWorkflow)), (start.InstanceId, start.Name));
        Assert.Equal("Workflow", (string?)JsonNode.Parse(start.Input)!["request"]!["engine"]);
        Assert.Null(app.Stored(id));
        Assert.Contains(id, app.Index("running-processes"));
        Assert.Empty(app.Participants[AppIds.OrderService].Calls); // the workflow, not this request, calls the participants
    }

    [Fact]
    public async Task TheWorkflowAndItsActivityAreRegisteredUnderTheNamesTheSagaUses()
    {
        await using var app = await StartWithWorkflowsAsync();
        var factory = app.Services.GetRequiredService<IWorkflowsFactory>();
        using var scope = app.Services.CreateScope();

        Assert.True(factory.TryCreateWorkflow(nameof(OrderSagaWorkflow), scope.ServiceProvider, out var workflow, out _));
        Assert.IsType<OrderSagaWorkflow>(workflow);
        Assert.True(factory.TryCreateActivity(nameof(SagaStepActivity), scope.ServiceProvider, out var activity, out _));
        Assert.IsType<SagaStepActivity>(activity);
    }

    [Fact]
    public async Task TheEngineNamedInTheRequestWinsOverTheDefaultInAnyCase()
    {
        await using var app = await OrchestratorApp.StartAsync(defaultEngine: SagaEngine.Runner, taskHub: Hub);

        var workflow = await StartAsync(app, Body(engine: "WORKFLOW"));
        var runner = await StartAsync(app, Body());
        var named = await StartAsync(app, Body(engine: "runner"));

        Assert.Equal(["Workflow", "Runner", "Runner"], new[] { workflow, runner, named }.Select(v => (string?)v["engine"]));
        Assert.Equal((string?)workflow["orderId"], Assert.Single(Hub.Started).InstanceId);
        Assert.NotNull(app.Stored((string)runner["orderId"]!));
        Assert.NotNull(app.Stored((string)named["orderId"]!));
    }

    [Theory]
    [InlineData("\"turbo\"")]
    [InlineData("\"1\"")]
    [InlineData("\"\"")]
    [InlineData("1")]
    public async Task ABadEngineIsRefusedWith400NamingEngineAndStartsNothing(string engine)
    {
        await using var app = await StartWithWorkflowsAsync();
        var body = $$"""{"customerId":"alice","items":[{"productId":"widget","quantity":1,"unitPrice":10.00}],"deliveryZone":"north","engine":{{engine}}}""";

        using var response = await app.Http.PostAsync(
            new Uri("/order-processes", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(["engine"], problem!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Empty(Hub.Starts);
        Assert.Empty(app.Index("running-processes"));
    }

    [Fact]
    public async Task AnIdempotencyKeyRepeatedWithTheSameBodyAnswersTheSameWorkflowOrderAndStartsItOnceAlsoConcurrently()
    {
        await using var app = await StartWithWorkflowsAsync();

        var views = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => StartAsync(app, Body(), "key-1")));
        var again = await StartAsync(app, Body(), "key-1");

        var id = Assert.Single(views.Append(again).Select(v => (string?)v["orderId"]).Distinct());
        Assert.Equal(id, Assert.Single(Hub.Started).InstanceId);
        Assert.Equal([id], app.Index("running-processes"));
        // Another key is another order.
        Assert.NotEqual(id, (string?)(await StartAsync(app, Body(), "key-2"))["orderId"]);
    }

    [Fact]
    public async Task AnIdempotencyKeyRepeatedConcurrentlyForTheRunnerStartsOneRunnerInstance()
    {
        await using var app = await OrchestratorApp.StartAsync(defaultEngine: SagaEngine.Runner);

        var views = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => StartAsync(app, Body(), "key-1")));

        var id = Assert.Single(views.Select(v => (string?)v["orderId"]).Distinct())!;
        await OrchestratorApp.UntilAsync(() => app.Stored(id) is { Status: ProcessStatus.Completed }, "the process completed");
        Assert.Single(app.Participants[AppIds.OrderService].Calls, $"PUT /orders/{id}");
        Assert.Equal([id], app.Index("running-processes"));
    }

    [Fact]
    public async Task AnIdempotencyKeyReusedWithADifferentBodyIsRefusedWith422AndStartsNothingMore()
    {
        await using var app = await StartWithWorkflowsAsync();
        await StartAsync(app, Body(), "key-1");

        using var other = await PostAsync(app, Body(quantity: 3), "key-1");
        using var otherEngine = await PostAsync(app, Body(engine: "runner"), "key-1");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        Assert.Equal(422, (int?)(await other.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherEngine.StatusCode);
        Assert.Single(Hub.Starts);
        Assert.Single(app.Index("running-processes"));
    }

    [Fact]
    public async Task ABadIdempotencyKeyIsRefusedWith400NamingIt()
    {
        await using var app = await StartWithWorkflowsAsync();

        using var response = await PostAsync(app, Body(), "no spaces allowed");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]![ApiAnswers.IdempotencyKeyHeader]);
        Assert.Empty(Hub.Starts);
    }

    [Fact]
    public async Task ARepeatedPostForAFinishedWorkflowNeverSchedulesItAgain()
    {
        await using var app = await StartWithWorkflowsAsync();
        var id = (string)(await StartAsync(app, Body(), "key-1"))["orderId"]!;
        var now = app.Clock.GetUtcNow();
        Hub.Set(id, Json(new OrderSagaStatus(ProcessStatus.Completed, "Done", [], null, now, now)), OrchestrationStatus.Completed);

        var again = await StartAsync(app, Body(), "key-1");

        Assert.Equal((id, "Completed"), ((string?)again["orderId"], (string?)again["status"]));
        Assert.Single(Hub.Starts); // daprd would have reset it
    }

    [Fact]
    public async Task ARetryWithTheSameKeyStartsAWorkflowWhoseFirstScheduleFailed()
    {
        Hub.FailingStarts = 1;
        await using var app = await StartWithWorkflowsAsync();

        using (var failed = await PostAsync(app, Body(), "key-1")) Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        var retried = await StartAsync(app, Body(), "key-1");

        Assert.Equal((string?)retried["orderId"], Assert.Single(Hub.Started).InstanceId);
    }

    [Fact]
    public async Task TheRecoveryTickSchedulesAWorkflowWhoseStartWasCutShortAndOtherwiseOnlyMovesItsIdToTheListOfAll()
    {
        Hub.FailingStarts = 1;
        await using var app = await StartWithWorkflowsAsync();
        using (var failed = await PostAsync(app, Body())) Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        var started = (string)(await StartAsync(app, Body()))["orderId"]!;
        var cutShort = app.Index("running-processes").Single(id => id != started);

        Assert.Equal(HttpStatusCode.OK, await app.TriggerRecoveryAsync());
        Assert.Equal([started], Hub.Started.Select(s => s.InstanceId)); // a start may still be under way: left alone
        Assert.Equal(2, app.Index("running-processes").Count);

        app.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.OK, await app.TriggerRecoveryAsync());

        Assert.Equal([started, cutShort], Hub.Started.Select(s => s.InstanceId));
        Assert.Empty(app.Index("running-processes"));
        Assert.True(app.Index("processes").SetEquals([cutShort, started]), "both moved to the list of all");
        Assert.Equal(HttpStatusCode.OK, await app.TriggerRecoveryAsync());
        Assert.Equal(2, Hub.Started.Count);
    }

    [Fact]
    public async Task GetServesAWorkflowFromItsCustomStatusAndTheListByStatusCoversBothEngines()
    {
        await using var app = await StartWithWorkflowsAsync();
        var workflowId = (string)(await StartAsync(app, Body(autoConfirmPayment: false)))["orderId"]!;
        var runnerId = (string)(await StartAsync(app, Body(engine: "runner")))["orderId"]!;
        await OrchestratorApp.UntilAsync(() => app.Stored(runnerId) is { Status: ProcessStatus.Completed }, "the runner's process completed");
        // The finished one moves to the list of all, the waiting one stays running: the list reads both.
        Assert.Equal(HttpStatusCode.OK, await app.TriggerRecoveryAsync());
        Assert.Equal([workflowId], app.Index("running-processes"));
        Assert.Equal([runnerId], app.Index("processes"));
        var at = app.Clock.GetUtcNow();
        Hub.Set(workflowId, Json(new OrderSagaStatus(
            ProcessStatus.WaitingForPayment, "ConfirmPayment",
            [new("CreateOrder", StepAnswer.Done, at), new("ReserveStock", StepAnswer.Done, at.AddSeconds(1)), new("CreatePayment", StepAnswer.Done, at.AddSeconds(2)), new("ConfirmPayment", StepAnswer.Waiting, at.AddSeconds(3))],
            null, at, at.AddSeconds(3))));

        var view = (await GetAsync(app, $"/order-processes/{workflowId}"))!;
        var waiting = (await GetAsync(app, "/order-processes?status=waitingforpayment"))!.AsArray();
        var completed = (await GetAsync(app, "/order-processes?status=Completed"))!.AsArray();
        var all = (await GetAsync(app, "/order-processes"))!.AsArray();

        Assert.Equal(("Workflow", "WaitingForPayment", "ConfirmPayment"), ((string?)view["engine"], (string?)view["status"], (string?)view["currentStep"]));
        Assert.Equal([AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.PaymentService], view["steps"]!.AsArray().Select(s => (string?)s!["participant"]));
        Assert.Equal(at.AddSeconds(3), (DateTimeOffset)view["steps"]![3]!["at"]!);
        Assert.Equal([workflowId], waiting.Select(v => (string?)v!["orderId"]));
        Assert.Equal([(runnerId, "Runner")], completed.Select(v => ((string?)v!["orderId"], (string?)v["engine"])));
        Assert.Equal(2, all.Count);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(new Uri("/order-processes/nobody", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task TheCustomersDecisionsReachAWorkflowThatWaitsForThemAndNoOther()
    {
        await using var app = await StartWithWorkflowsAsync();
        var waiting = (string)(await StartAsync(app, Body(autoConfirmPayment: false)))["orderId"]!;
        var confirmedByUs = (string)(await StartAsync(app, Body()))["orderId"]!;
        var now = app.Clock.GetUtcNow();

        await app.SendAsync(new PaymentConfirmed(waiting, SagaFlow.Orchestration, 20.00m, now));
        await app.SendAsync(new PaymentConfirmed(waiting, SagaFlow.Orchestration, 20.00m, now)); // redelivered
        await app.SendAsync(new PaymentCancelled(waiting, SagaFlow.Orchestration, CancellationReason.PaymentExpired, now));
        await app.SendAsync(new PaymentConfirmed(confirmedByUs, SagaFlow.Orchestration, 20.00m, now));
        await app.SendAsync(new PaymentConfirmed(waiting, SagaFlow.Choreography, 20.00m, now));
        await app.IdleAsync();
        // Posted as daprd would deliver it, after the others, so it is the last decision raised.
        using var cancelled = await app.Http.PostAsync(new Uri($"/events/{Topics.OrderCancelled}", UriKind.Relative), JsonContent.Create(
            new OrderCancelled(waiting, SagaFlow.Orchestration, CancellationReason.CustomerCancelled, now), options: ServiceDefaultsExtensions.JsonOptions));
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);

        Assert.All(Hub.Raised, r => Assert.Equal((waiting, OrderSagaEvents.CustomerDecision), (r.InstanceId, r.Name)));
        var decisions = Hub.Raised.Select(r => JsonSerializer.Deserialize<CustomerDecision>(r.Input, ServiceDefaultsExtensions.JsonOptions)!).ToList();
        // The broker delivers the three published events concurrently, in any order; the cancel was posted after them.
        Assert.Equal(
            [
                new CustomerDecision(CustomerDecisionKind.PaymentCancelled, CancellationReason.PaymentExpired),
                new CustomerDecision(CustomerDecisionKind.PaymentConfirmed),
                new CustomerDecision(CustomerDecisionKind.PaymentConfirmed),
            ],
            decisions.Take(3).OrderBy(d => d.Kind.ToString(), StringComparer.Ordinal));
        Assert.Equal([new CustomerDecision(CustomerDecisionKind.OrderCancelled, CancellationReason.CustomerCancelled)], decisions.Skip(3));
        var subscribed = (await GetAsync(app, "/dapr/subscribe"))!.AsArray().Select(s => (string?)s!["topic"]);
        Assert.Contains(Topics.OrderCancelled, subscribed);
    }
}
