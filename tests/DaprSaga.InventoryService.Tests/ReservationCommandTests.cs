using System.Text;
using DaprSaga.InventoryService.Products;
using DaprSaga.InventoryService.Reservations;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.InventoryService.Tests;

/// <summary>The participant commands order-process-service calls: reserve, release, commit.</summary>
public sealed class ReservationCommandTests() : HostedTest<InventoryApp>(() => InventoryApp.StartAsync())
{
    // When the events occurred: the host's start, well inside the retention window.
    private static readonly DateTimeOffset At = ServiceHostOptions.DefaultStart;
    private static object ReserveBody(params OrderLine[] items) =>
        new { items, flow = "Orchestration", customerId = "alice", amount = items.Sum(i => i.Quantity * i.UnitPrice) };

    private static readonly object TwoWidgets = ReserveBody(new OrderLine("widget", 2, 10.00m));

    private Task<HttpResponseMessage> ReserveAsync(string orderId, object body) => AsOrchestratorAsync($"/reservations/{orderId}", body);

    private Task<HttpResponseMessage> CommandAsync(string orderId, string command) => AsOrchestratorAsync($"/reservations/{orderId}/{command}", new { });

    /// <summary>A command with the dapr-caller-app-id order-process-service's sidecar sets.</summary>
    private async Task<HttpResponseMessage> AsOrchestratorAsync(string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body as HttpContent ?? JsonContent.Create(body, options: ServiceDefaultsExtensions.JsonOptions),
        };
        request.Headers.Add(ParticipantCommands.CallerHeader, AppIds.OrderProcessService);
        return await Host.Http.SendAsync(request);
    }

    private static async Task<ReservationView> OkViewAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ReservationView>(ServiceDefaultsExtensions.JsonOptions))!;
    }

    /// <summary>The 409's `reason` extension, or null when it has none.</summary>
    private static async Task<string?> ConflictReasonAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (string?)problem!["reason"];
    }

    private async Task<(int OnHand, int Reserved, int Sold)> WidgetsAsync()
    {
        var widget = await Host.ProductAsync("widget");
        Assert.Equal(widget.Received, widget.OnHand + widget.Reserved + widget.Sold);
        return (widget.OnHand, widget.Reserved, widget.Sold);
    }

    /// <summary>A view's contents, items included (records compare lists by reference).</summary>
    private static (string, ReservationStatus, CancellationReason?, string) Shown(ReservationView view) =>
        (view.OrderId, view.Status, view.Reason, string.Join(";", view.Items));

    private int DistinctEvents(string topic) => Host.Published(topic).Select(e => e.Id).Distinct().Count();

    [Fact]
    public async Task ReserveHoldsTheStockAndPublishesStockReservedForTheOrchestratedFlow()
    {
        using var response = await ReserveAsync("o-1", TwoWidgets);

        var view = await OkViewAsync(response);
        Assert.Equal(("o-1", ReservationStatus.Reserved, null), (view.OrderId, view.Status, view.Reason));
        Assert.Equal([new OrderLine("widget", 2, 10.00m)], view.Items);
        Assert.Equal((998, 2, 0), await WidgetsAsync());
        await Host.IdleAsync();
        var reserved = Assert.Single(Host.Published<StockReserved>());
        Assert.Equal(("o-1", SagaFlow.Orchestration, "alice", 20.00m, false),
            (reserved.OrderId, reserved.Flow, reserved.CustomerId, reserved.Amount, reserved.AutoConfirmPayment));
        Assert.Equal(SagaFlow.Orchestration, (await Host.StoredReservationAsync("o-1"))!.Flow);
    }

    [Fact]
    public async Task ReserveWithoutCustomerAndAmountStillReservesAndComputesTheAmount()
    {
        using var response = await ReserveAsync("o-1", new { items = new[] { new OrderLine("widget", 3, 10.00m) }, flow = "orchestration" });

        Assert.Equal(ReservationStatus.Reserved, (await OkViewAsync(response)).Status);
        await Host.IdleAsync();
        var reserved = Assert.Single(Host.Published<StockReserved>());
        Assert.Equal(("", 30.00m), (reserved.CustomerId, reserved.Amount));
    }

    [Fact]
    public async Task ARepeatedReserveAnswersTheSameAndHoldsOnce()
    {
        using var first = await ReserveAsync("o-1", TwoWidgets);
        using var second = await ReserveAsync("o-1", TwoWidgets);

        Assert.Equal(Shown(await OkViewAsync(first)), Shown(await OkViewAsync(second)));
        Assert.Equal((998, 2, 0), await WidgetsAsync());
        await Host.IdleAsync();
        Assert.Equal(1, DistinctEvents(Topics.StockReserved));
    }

    public static TheoryData<OrderLine, CancellationReason> Refusals => new()
    {
        { new("nope", 1, 1.00m), CancellationReason.UnknownProduct },
        { new("widget", 2, 9.00m), CancellationReason.PriceChanged },
        { new("unobtainium", 1, 500.00m), CancellationReason.OutOfStock },
        { new("gizmo", 4, 99.00m), CancellationReason.OutOfStock },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ARefusedReserveIs409WithItsReasonStoredRejectedAndRepeatedTheSame(OrderLine line, CancellationReason reason)
    {
        var before = await Host.ProductsAsync();
        var body = ReserveBody(line, new OrderLine("gadget", 1, 25.00m));

        using var first = await ReserveAsync("o-1", body);
        using var repeat = await ReserveAsync("o-1", body);

        Assert.Equal(reason.ToString(), await ConflictReasonAsync(first));
        Assert.Equal(reason.ToString(), await ConflictReasonAsync(repeat));
        var stored = await Host.ReservationAsync("o-1");
        Assert.Equal((ReservationStatus.Rejected, reason), (stored!.Status, stored.Reason));
        Assert.Equal(before, await Host.ProductsAsync());
        await Host.IdleAsync();
        Assert.Equal(1, DistinctEvents(Topics.StockReservationFailed));
        var failed = Host.Published<StockReservationFailed>()[0];
        Assert.Equal((SagaFlow.Orchestration, reason), (failed.Flow, failed.Reason));
        Assert.Empty(Host.Published(Topics.StockReserved));
    }

    [Fact]
    public async Task AReserveFindingAReservationStillReservingFinishesItAndAnswersItsOutcome()
    {
        // Another worker (or a crashed first attempt) opened it and held nothing yet.
        var reserving = Reservation.Open(null, Request("o-1", new OrderLine("widget", 2, 10.00m), new OrderLine("gadget", 1, 25.00m)),
            DemoCatalogue.All.ToDictionary(p => p.ProductId), At)!;
        await Host.StoreUnfinishedAsync(reserving);

        using var response = await ReserveAsync("o-1", TwoWidgets);

        var view = await OkViewAsync(response);
        Assert.Equal(ReservationStatus.Reserved, view.Status);
        // The stored decision wins over the repeat's body.
        Assert.Equal(2, view.Items.Count);
        Assert.Equal((998, 2, 0), await WidgetsAsync());
        Assert.Equal(99, (await Host.ProductAsync("gadget")).OnHand);
    }

    [Fact]
    public Task ReleaseGivesTheStockBackOnceAndPublishesStockReleased() =>
        CommandOnceAsync<StockReleased>("release", ReservationStatus.Released, widgets: (1000, 0, 0));

    [Fact]
    public async Task ReleaseWithNoReservationLeavesATombstoneSoALateReserveHoldsNothing()
    {
        using var release = await CommandAsync("o-1", "release");
        using var lateReserve = await ReserveAsync("o-1", TwoWidgets);

        var tombstone = await OkViewAsync(release);
        Assert.Equal((ReservationStatus.Released, 0), (tombstone.Status, tombstone.Items.Count));
        // The orchestrator is compensating anyway: the late reserve gets the reservation as it is.
        Assert.Equal(Shown(tombstone), Shown(await OkViewAsync(lateReserve)));
        Assert.Equal(SagaFlow.Orchestration, (await Host.StoredReservationAsync("o-1"))!.Flow);
        Assert.Equal((1000, 0, 0), await WidgetsAsync());
        await Host.IdleAsync();
        Assert.Empty(Host.Published(Topics.StockReserved));
        Assert.Empty(Host.Published(Topics.StockReleased));
    }

    [Fact]
    public async Task ReleaseOfAReservationStillReservingFinishesItThenGivesTheStockBack()
    {
        var reserving = Reservation.Open(null, Request("o-1", new OrderLine("widget", 2, 10.00m)),
            DemoCatalogue.All.ToDictionary(p => p.ProductId), At)!;
        await Host.StoreUnfinishedAsync(reserving);

        using var response = await CommandAsync("o-1", "release");

        Assert.Equal(ReservationStatus.Released, (await OkViewAsync(response)).Status);
        Assert.Equal((1000, 0, 0), await WidgetsAsync());
        Assert.Equal(HoldState.Released, (await Host.StoredProductAsync("widget"))!.Holds["o-1"].State);
        await Host.IdleAsync();
        Assert.Equal(1, DistinctEvents(Topics.StockReleased));
    }

    [Fact]
    public async Task ReleaseNeverRefusesAndLeavesRejectedOrCommittedAsTheyAre()
    {
        (await ReserveAsync("o-rejected", ReserveBody(new OrderLine("unobtainium", 1, 500.00m)))).Dispose();
        (await ReserveAsync("o-committed", TwoWidgets)).Dispose();
        (await CommandAsync("o-committed", "commit")).Dispose();

        using var rejected = await CommandAsync("o-rejected", "release");
        using var committed = await CommandAsync("o-committed", "release");

        var rejectedView = await OkViewAsync(rejected);
        Assert.Equal((ReservationStatus.Rejected, CancellationReason.OutOfStock), (rejectedView.Status, rejectedView.Reason));
        Assert.Equal(ReservationStatus.Committed, (await OkViewAsync(committed)).Status);
        Assert.Equal((998, 0, 2), await WidgetsAsync());
        await Host.IdleAsync();
        Assert.Empty(Host.Published(Topics.StockReleased));
    }

    [Fact]
    public Task CommitMovesTheReservedStockToSoldOnce() =>
        CommandOnceAsync<StockCommitted>("commit", ReservationStatus.Committed, widgets: (998, 0, 2));

    /// <summary>Reserves two widgets for o-1, then sends <paramref name="command"/> twice: both answer the same, the effect and its event happen once.</summary>
    private async Task CommandOnceAsync<TEvent>(string command, ReservationStatus status, (int OnHand, int Reserved, int Sold) widgets)
        where TEvent : IIntegrationEvent
    {
        (await ReserveAsync("o-1", TwoWidgets)).Dispose();

        using var first = await CommandAsync("o-1", command);
        using var repeat = await CommandAsync("o-1", command);

        Assert.Equal(status, (await OkViewAsync(first)).Status);
        Assert.Equal(status, (await OkViewAsync(repeat)).Status);
        Assert.Equal(widgets, await WidgetsAsync());
        await Host.IdleAsync();
        Assert.Equal(1, DistinctEvents(TEvent.Topic));
        Assert.Equal(SagaFlow.Orchestration, Host.Published<TEvent>()[0].Flow);
    }

    [Fact]
    public async Task CommitWithoutALiveReservationIs409WithoutAReasonAndChangesNothing()
    {
        (await ReserveAsync("o-released", TwoWidgets)).Dispose();
        (await CommandAsync("o-released", "release")).Dispose();
        (await ReserveAsync("o-rejected", ReserveBody(new OrderLine("widget", 1, 9.00m)))).Dispose();

        foreach (var orderId in new[] { "o-none", "o-released", "o-rejected" })
        {
            using var response = await CommandAsync(orderId, "commit");
            // No reason: the orchestrator treats it as transient and retries, never compensates.
            Assert.Null(await ConflictReasonAsync(response));
        }

        Assert.Null(await Host.StoredReservationAsync("o-none"));
        Assert.Equal(ReservationStatus.Released, (await Host.ReservationAsync("o-released"))!.Status);
        Assert.Equal(ReservationStatus.Rejected, (await Host.ReservationAsync("o-rejected"))!.Status);
        Assert.Equal((1000, 0, 0), await WidgetsAsync());
        await Host.IdleAsync();
        Assert.Empty(Host.Published(Topics.StockCommitted));
    }

    [Fact]
    public async Task AnOrchestratedReservationIgnoresTheChoreographyEventsOfItsOrder()
    {
        (await ReserveAsync("o-1", TwoWidgets)).Dispose();
        (await ReserveAsync("o-2", TwoWidgets)).Dispose();

        await Host.SendAsync(new OrderCancelled("o-1", SagaFlow.Orchestration, CancellationReason.CustomerCancelled, At));
        await Host.SendAsync(new OrderCompleted("o-2", SagaFlow.Orchestration, At));
        await Host.SendAsync(new OrderPlaced("o-3", SagaFlow.Orchestration, "alice", [new("widget", 2, 10.00m)], 20.00m, "north", false, At));
        await Host.IdleAsync();

        Assert.Equal(ReservationStatus.Reserved, (await Host.ReservationAsync("o-1"))!.Status);
        Assert.Equal(ReservationStatus.Reserved, (await Host.ReservationAsync("o-2"))!.Status);
        Assert.Null(await Host.StoredReservationAsync("o-3"));
        Assert.Equal((996, 4, 0), await WidgetsAsync());
        Assert.Empty(Host.Published(Topics.StockReleased));
        Assert.Empty(Host.Published(Topics.StockCommitted));
        Assert.Equal(0, Host.Testbed.Redeliveries);
    }

    [Fact]
    public async Task ChoreographyKeepsWorkingBesideOrchestratedReservations()
    {
        (await ReserveAsync("o-orch", TwoWidgets)).Dispose();
        await Host.SendAsync(new OrderPlaced("o-chor", SagaFlow.Choreography, "alice", [new("widget", 1, 10.00m)], 10.00m, "north", true, At));
        await Host.IdleAsync();
        await Host.SendAsync(new OrderCancelled("o-chor", SagaFlow.Choreography, CancellationReason.CustomerCancelled, At));
        await Host.IdleAsync();

        Assert.Equal(ReservationStatus.Released, (await Host.ReservationAsync("o-chor"))!.Status);
        Assert.Equal(ReservationStatus.Reserved, (await Host.ReservationAsync("o-orch"))!.Status);
        Assert.Equal((998, 2, 0), await WidgetsAsync());
        Assert.Equal([SagaFlow.Choreography, SagaFlow.Orchestration], Host.Published<StockReserved>().Select(r => r.Flow).Distinct().Order());
    }

    // Each command from another app, then with no caller header at all (a direct call that bypassed the sidecar).
    public static TheoryData<string?, string> NotFromTheOrchestrator => new()
    {
        { AppIds.OrderService, "" },
        { AppIds.OrderService, "/release" },
        { AppIds.OrderService, "/commit" },
        { null, "" },
        { null, "/release" },
        { null, "/commit" },
    };

    [Theory]
    [MemberData(nameof(NotFromTheOrchestrator))]
    public async Task ACommandFromAnotherAppOrWithoutTheCallerHeaderIsForbiddenAndChangesNothing(string? caller, string command)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/reservations/o-1{command}")
        {
            Content = JsonContent.Create(TwoWidgets, options: ServiceDefaultsExtensions.JsonOptions),
        };
        if (caller is not null) request.Headers.Add(ParticipantCommands.CallerHeader, caller);

        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await Host.StoredReservationAsync("o-1"));
        Assert.Equal((1000, 0, 0), await WidgetsAsync());
    }

    [Fact]
    public async Task ACommandNamingTheOrchestratorAsCallerIsServed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/reservations/o-1")
        {
            Content = JsonContent.Create(TwoWidgets, options: ServiceDefaultsExtensions.JsonOptions),
        };
        request.Headers.Add("dapr-caller-app-id", AppIds.OrderProcessService);

        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(ReservationStatus.Reserved, (await OkViewAsync(response)).Status);
    }

    [Fact]
    public async Task TheOrchestratorsSidecarMayInvokeTheCommandsAndAnotherAppsMayNot()
    {
        var asProcess = await Host.InvokerAsync(AppIds.OrderProcessService);
        var asOrder = await Host.InvokerAsync(AppIds.OrderService);

        using var refused = await asOrder.PostAsJsonAsync(new Uri("/reservations/o-1", UriKind.Relative), TwoWidgets, ServiceDefaultsExtensions.JsonOptions);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Null(await Host.StoredReservationAsync("o-1"));

        using var reserved = await asProcess.PostAsJsonAsync(new Uri("/reservations/o-1", UriKind.Relative), TwoWidgets, ServiceDefaultsExtensions.JsonOptions);
        Assert.Equal(ReservationStatus.Reserved, (await OkViewAsync(reserved)).Status);
        using var committed = await asProcess.PostAsJsonAsync(new Uri("/reservations/o-1/commit", UriKind.Relative), new { }, ServiceDefaultsExtensions.JsonOptions);
        Assert.Equal(ReservationStatus.Committed, (await OkViewAsync(committed)).Status);
        using var refusedRelease = await asOrder.PostAsJsonAsync(new Uri("/reservations/o-1/release", UriKind.Relative), new { }, ServiceDefaultsExtensions.JsonOptions);
        Assert.Equal(HttpStatusCode.Forbidden, refusedRelease.StatusCode);
        // A business refusal crosses the sidecars as the orchestrator reads it: 409 with the reason.
        using var rejected = await asProcess.PostAsJsonAsync(
            new Uri("/reservations/o-2", UriKind.Relative), ReserveBody(new OrderLine("unobtainium", 1, 500.00m)), ServiceDefaultsExtensions.JsonOptions);
        Assert.Equal(nameof(CancellationReason.OutOfStock), await ConflictReasonAsync(rejected));
        Assert.Equal((998, 0, 2), await WidgetsAsync());
    }

    public static TheoryData<string, string> BadReserves => new()
    {
        { "", "body" },
        { "not json", "body" },
        { "null", "body" },
        { """{"flow":"Orchestration"}""", "items" },
        { """{"items":[],"flow":"Orchestration"}""", "items" },
        { """{"items":[null],"flow":"Orchestration"}""", "items[0]" },
        { """{"items":[{"productId":"widget","quantity":2,"unitPrice":10.00}]}""", "flow" },
        { """{"items":[{"productId":"widget","quantity":2,"unitPrice":10.00}],"flow":"Sideways"}""", "flow" },
        { """{"items":[{"productId":"widget","quantity":2,"unitPrice":10.00}],"flow":1}""", "flow" },
        { """{"items":[{"quantity":2,"unitPrice":10.00}],"flow":"Orchestration"}""", "items[0].productId" },
        { """{"items":[{"productId":"wid||get","quantity":2,"unitPrice":10.00}],"flow":"Orchestration"}""", "items[0].productId" },
        { """{"items":[{"productId":"widget","quantity":0,"unitPrice":10.00}],"flow":"Orchestration"}""", "items[0].quantity" },
        { """{"items":[{"productId":"widget","quantity":1001,"unitPrice":10.00}],"flow":"Orchestration"}""", "items[0].quantity" },
        { """{"items":[{"productId":"widget","quantity":"two","unitPrice":10.00}],"flow":"Orchestration"}""", "items[0].quantity" },
        { """{"items":[{"productId":"widget","quantity":2}],"flow":"Orchestration"}""", "items[0].unitPrice" },
        { """{"items":[{"productId":"widget","quantity":2,"unitPrice":10.001}],"flow":"Orchestration"}""", "items[0].unitPrice" },
        { """{"items":[{"productId":"widget","quantity":2,"unitPrice":10.00}],"flow":"Orchestration","customerId":"a b"}""", "customerId" },
        { """{"items":[{"productId":"widget","quantity":2,"unitPrice":10.00}],"flow":"Orchestration","amount":-1}""", "amount" },
        { """{"items":[{"productId":"widget","quantity":2,"unitPrice":10.00}],"flow":"Orchestration","amount":50000000000.01}""", "amount" },
    };

    [Theory]
    [MemberData(nameof(BadReserves))]
    public async Task ABadReserveIsA400NamingTheFieldAndChangesNothing(string body, string field)
    {
        using var response = await AsOrchestratorAsync("/reservations/o-1", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertBadRequestNamingAsync(response, field);
        Assert.Null(await Host.StoredReservationAsync("o-1"));
        Assert.Equal((1000, 0, 0), await WidgetsAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("/release")]
    [InlineData("/commit")]
    public async Task ACommandOnABadOrderIdIsA400NamingIt(string command)
    {
        using var response = await AsOrchestratorAsync($"/reservations/bad.id{command}", TwoWidgets);

        await AssertBadRequestNamingAsync(response, "orderId");
        Assert.Null(await Host.StoredReservationAsync("bad.id"));
    }

    [Fact]
    public async Task SwaggerListsTheCommandsUnderParticipantCommands()
    {
        var document = await Host.Http.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json");

        var paths = document!["paths"]!.AsObject();
        foreach (var path in new[] { "/reservations/{orderId}", "/reservations/{orderId}/release", "/reservations/{orderId}/commit" })
        {
            var tags = paths[path]!["post"]!["tags"]!.AsArray().Select(t => (string?)t);
            Assert.Equal([ParticipantCommands.Tag], tags);
        }
        Assert.NotNull(paths["/reservations/{orderId}"]!["post"]!["requestBody"]);
    }

    private static async Task AssertBadRequestNamingAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(problem!["errors"]!.AsObject().ContainsKey(field), problem.ToJsonString());
    }

    private static ReservationRequest Request(string orderId, params OrderLine[] items) =>
        new(orderId, SagaFlow.Orchestration, "alice", items, items.Sum(i => i.Quantity * i.UnitPrice), AutoConfirmPayment: false);
}
