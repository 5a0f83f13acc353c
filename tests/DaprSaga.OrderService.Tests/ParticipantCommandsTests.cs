using DaprSaga.OrderService.Orders;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.OrderService.Tests;

/// <summary>The commands order-process-service calls, sent as its Participants class sends them.</summary>
public sealed class ParticipantCommandsTests : ServiceTest
{
    private const string Id = "0f8e2b1c9d7a4e6f8a0b1c2d3e4f5a6b";
    private const string Orchestrator = AppIds.OrderProcessService;

    [Fact]
    public async Task PutCreatesThePendingOrchestratedOrderOnceAndARepeatReturnsIt()
    {
        using var created = await Host.CreateOrchestratedAsync(Id, caller: Orchestrator);
        using var again = await Host.CreateOrchestratedAsync(Id, OrderServiceHost.HappyOrder("bob", "south"));

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (created.StatusCode, again.StatusCode));
        Assert.Equal($"/orders/{Id}", created.Headers.Location?.OriginalString);
        var order = await ViewAsync(created);
        Assert.Equal((Id, "alice", 20.00m, SagaFlow.Orchestration, OrderStatus.Pending),
            (order.OrderId, order.CustomerId, order.Total, order.Flow, order.Status));
        Assert.Equal(("alice", "north"), ((await ViewAsync(again)).CustomerId, (await Host.GetAsync(Id)).DeliveryZone));
        var placed = Assert.Single(Host.PublishedData(Topics.OrderPlaced));
        Assert.Equal((Id, "Orchestration"), (placed.GetProperty("orderId").GetString(), placed.GetProperty("flow").GetString()));
        Assert.Equal("order-placed.v1", (string?)Host.Published(Topics.OrderPlaced).Single().Envelope["type"]);
    }

    [Fact]
    public async Task ConfirmThenCompleteMoveTheOrderAndARepeatAnswersTheSameWithOneEventEach()
    {
        await CreateAsync();

        using var confirmed = await CommandAsync("confirm");
        using var confirmedAgain = await CommandAsync("confirm");
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (confirmed.StatusCode, confirmedAgain.StatusCode));
        Assert.Equal(OrderStatus.Confirmed, (await ViewAsync(confirmedAgain)).Status);

        using var completed = await CommandAsync("complete");
        using var completedAgain = await CommandAsync("complete");
        using var lateConfirm = await CommandAsync("confirm");
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (completed.StatusCode, completedAgain.StatusCode, lateConfirm.StatusCode));
        Assert.Equal(OrderStatus.Completed, (await ViewAsync(completedAgain)).Status);

        var confirmedEvent = Assert.Single(Host.PublishedData(Topics.OrderConfirmed));
        Assert.Equal(("Orchestration", "north"), (confirmedEvent.GetProperty("flow").GetString(), confirmedEvent.GetProperty("deliveryZone").GetString()));
        Assert.Equal("Orchestration", Assert.Single(Host.PublishedData(Topics.OrderCompleted)).GetProperty("flow").GetString());
        Assert.Empty(Host.Published(Topics.OrderCancelled));
    }

    [Fact]
    public async Task CompleteBeforeConfirmIsA409WithoutAReasonSoTheOrchestratorRetriesAndChangesNothing()
    {
        await CreateAsync();

        using var early = await CommandAsync("complete");

        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.False((await ProblemAsync(early)).TryGetProperty("reason", out _));
        Assert.Equal(OrderStatus.Pending, (await Host.GetAsync(Id)).Status);
        using var confirm = await CommandAsync("confirm");
        using var onTime = await CommandAsync("complete");
        Assert.Equal(HttpStatusCode.OK, onTime.StatusCode);
        Assert.Single(Host.Published(Topics.OrderCompleted));
    }

    [Fact]
    public async Task TheCustomerCancelsAnOrchestratedOrderAndTheOrchestratorsNextStepIsRefusedWithTheReason()
    {
        await CreateAsync();

        using var cancel = await Host.CancelAsync(Id);
        using var confirm = await CommandAsync("confirm");
        using var confirmAgain = await CommandAsync("confirm");
        using var complete = await CommandAsync("complete");
        using var compensate = await Host.CompensateAsync(Id, CancellationReason.CustomerCancelled, Orchestrator);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        foreach (var refused in new[] { confirm, confirmAgain, complete })
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("CustomerCancelled", (await ProblemAsync(refused)).GetProperty("reason").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, compensate.StatusCode);
        var cancelled = Assert.Single(Host.PublishedData(Topics.OrderCancelled));
        Assert.Equal(("CustomerCancelled", "Orchestration"), (cancelled.GetProperty("reason").GetString(), cancelled.GetProperty("flow").GetString()));
        Assert.Empty(Host.Published(Topics.OrderConfirmed));
    }

    [Fact]
    public async Task TheCompensationCancelsWithTheOrchestratorsReasonAndARepeatChangesNothing()
    {
        await CreateAsync();

        using var first = await Host.CompensateAsync(Id, CancellationReason.OutOfStock, Orchestrator);
        using var again = await Host.CompensateAsync(Id, CancellationReason.OutOfStock);
        using var otherReason = await Host.CompensateAsync(Id, CancellationReason.PriceChanged);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { first.StatusCode, again.StatusCode, otherReason.StatusCode });
        var order = await ViewAsync(otherReason);
        Assert.Equal((OrderStatus.Cancelled, CancellationReason.OutOfStock), (order.Status, order.CancellationReason));
        var cancelled = Assert.Single(Host.PublishedData(Topics.OrderCancelled));
        Assert.Equal(("OutOfStock", "Orchestration"), (cancelled.GetProperty("reason").GetString(), cancelled.GetProperty("flow").GetString()));
        using var lateConfirm = await CommandAsync("confirm");
        Assert.Equal("OutOfStock", (await ProblemAsync(lateConfirm)).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task TheCompensationCancelsAConfirmedOrderWhenTheDeliveryIsRefused()
    {
        await CreateAsync();
        using var confirm = await CommandAsync("confirm");

        using var compensate = await Host.CompensateAsync(Id, CancellationReason.NoCourierAvailable, Orchestrator);

        Assert.Equal(HttpStatusCode.OK, compensate.StatusCode);
        Assert.Equal(CancellationReason.NoCourierAvailable, (await Host.GetAsync(Id)).CancellationReason);
        Assert.Single(Host.Published(Topics.OrderCancelled));
    }

    [Fact]
    public async Task ACompletedOrderIsNeverCancelledTheOrchestratorHears200AndTheCustomer409()
    {
        await CreateAsync();
        using var confirm = await CommandAsync("confirm");
        using var complete = await CommandAsync("complete");

        using var compensate = await Host.CompensateAsync(Id, CancellationReason.OutOfStock, Orchestrator);
        using var customer = await Host.CancelAsync(Id);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Conflict), (compensate.StatusCode, customer.StatusCode));
        Assert.Equal(OrderStatus.Completed, (await ViewAsync(compensate)).Status);
        Assert.Empty(Host.Published(Topics.OrderCancelled));
    }

    [Fact]
    public async Task TheCustomerCannotCancelAConfirmedOrchestratedOrderWhichMayBePastThePivot()
    {
        await CreateAsync();
        using var confirm = await CommandAsync("confirm");

        using var customer = await Host.CancelAsync(Id);
        using var complete = await CommandAsync("complete");

        Assert.Equal(HttpStatusCode.Conflict, customer.StatusCode);
        Assert.Equal("Confirmed", (await ProblemAsync(customer)).GetProperty("orderStatus").GetString());
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        Assert.Empty(Host.Published(Topics.OrderCancelled));
    }

    [Fact]
    public async Task ACompensationForAnUnknownOrderLeavesATombstoneSoALateCreateDoesNothing()
    {
        using var compensate = await Host.CompensateAsync(Id, CancellationReason.OutOfStock, Orchestrator);
        using var again = await Host.CompensateAsync(Id, CancellationReason.OutOfStock, Orchestrator);
        using var lateCreate = await Host.CreateOrchestratedAsync(Id, caller: Orchestrator);
        using var lateConfirm = await CommandAsync("confirm");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (compensate.StatusCode, again.StatusCode));
        var tombstone = await ViewAsync(compensate);
        Assert.Equal((OrderStatus.Cancelled, CancellationReason.OutOfStock), (tombstone.Status, tombstone.CancellationReason));
        foreach (var refused in new[] { lateCreate, lateConfirm })
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("OutOfStock", (await ProblemAsync(refused)).GetProperty("reason").GetString());
        }
        var order = await Host.GetAsync(Id);
        Assert.Equal((OrderStatus.Cancelled, SagaFlow.Orchestration, 0m), (order.Status, order.Flow, order.Total));
        Assert.Empty(Host.Published(Topics.OrderPlaced));
        Assert.Empty(Host.Published(Topics.OrderCancelled));
        Assert.Empty(Host.Published(Topics.OrderConfirmed));
    }

    [Fact]
    public async Task ACommandForAnUnknownOrderIsNotFound()
    {
        using var confirm = await CommandAsync("confirm");
        using var complete = await CommandAsync("complete");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (confirm.StatusCode, complete.StatusCode));
    }

    [Fact]
    public async Task TheOrchestratorCannotDriveAChoreographyOrder()
    {
        var id = (await Host.PlaceAsync()).OrderId;

        using var create = await Host.CreateOrchestratedAsync(id, caller: Orchestrator);
        using var confirm = await Host.CommandAsync(HttpMethod.Post, $"/orders/{id}/confirm", caller: Orchestrator);
        using var compensate = await Host.CompensateAsync(id, CancellationReason.OutOfStock, Orchestrator);

        foreach (var refused in new[] { create, confirm, compensate })
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            var problem = await ProblemAsync(refused);
            Assert.False(problem.TryGetProperty("reason", out _));
            Assert.Equal("Choreography", problem.GetProperty("flow").GetString());
        }
        Assert.Equal(OrderStatus.Pending, (await Host.GetAsync(id)).Status);
        Assert.Empty(Host.Published(Topics.OrderCancelled));
    }

    [Fact]
    public async Task AnOrchestratedOrdersEventsDoNotTriggerTheChoreographyReactions()
    {
        await CreateAsync();

        await Host.PublishAsync(new PaymentRequested(Id, SagaFlow.Orchestration, "alice", 20m, Host.Now.AddMinutes(15), Host.Now));
        await Host.PublishAsync(new StockReservationFailed(Id, SagaFlow.Orchestration, CancellationReason.OutOfStock, Host.Now));
        // Even an event claiming the other flow does not move an orchestrated order.
        await Host.PublishAsync(new PaymentConfirmed(Id, SagaFlow.Choreography, 20m, Host.Now));

        var order = await Host.GetAsync(Id);
        Assert.Equal(OrderStatus.Pending, order.Status);
        Assert.All(order.History.Skip(1), h => Assert.False(h.Applied));
        Assert.Equal(3, order.History.Count(h => h.Note == "Orchestration order: recorded only"));
        Assert.Empty(Host.Published(Topics.OrderConfirmed));
        Assert.Empty(Host.Published(Topics.OrderCancelled));
    }

    [Fact]
    public async Task TheSagaDeadlineCancelsAPendingOrchestratedOrderButLeavesAConfirmedOneToItsOrchestrator()
    {
        const string confirmedId = "confirmed-by-the-orchestrator";
        await CreateAsync();
        using var created = await Host.CreateOrchestratedAsync(confirmedId, caller: Orchestrator);
        using var confirmed = await Host.CommandAsync(HttpMethod.Post, $"/orders/{confirmedId}/confirm", caller: Orchestrator);

        Host.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(HttpStatusCode.OK, await Host.Sidecar.TriggerBindingAsync(Components.OrderRecovery));

        var timedOut = await Host.GetAsync(Id);
        Assert.Equal((OrderStatus.Cancelled, CancellationReason.SagaTimedOut), (timedOut.Status, timedOut.CancellationReason));
        Assert.Equal(OrderStatus.Confirmed, (await Host.GetAsync(confirmedId)).Status);
        using var complete = await Host.CommandAsync(HttpMethod.Post, $"/orders/{confirmedId}/complete", caller: Orchestrator);
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
    }

    // Each command from another app, then with no caller header at all (a direct call that bypassed the sidecar).
    public static TheoryData<string?, string, string> NotFromTheOrchestrator => new()
    {
        { AppIds.OrderService, "PUT", $"/orders/{Id}" },
        { AppIds.OrderService, "POST", $"/orders/{Id}/confirm" },
        { AppIds.OrderService, "POST", $"/orders/{Id}/complete" },
        { AppIds.OrderService, "POST", $"/orders/{Id}/cancel" },
        { null, "PUT", $"/orders/{Id}" },
        { null, "POST", $"/orders/{Id}/confirm" },
        { null, "POST", $"/orders/{Id}/complete" },
        { null, "POST", $"/orders/{Id}/cancel" },
    };

    [Theory]
    [MemberData(nameof(NotFromTheOrchestrator))]
    public async Task AnotherCallerThanTheOrchestratorOrNoCallerHeaderIsRefusedWith403AndNothingChanges(string? caller, string method, string path)
    {
        object body = method == "PUT" ? OrderServiceHost.HappyOrder() : new { reason = "OutOfStock" };

        using var response = await Host.CommandAsync(new HttpMethod(method), path, body, caller);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var get = await Host.Http.GetAsync($"/orders/{Id}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        await Host.IdleAsync();
        Assert.Empty(Host.Published(Topics.OrderPlaced));
    }

    [Fact]
    public async Task TheCustomersCancelWithoutABodyStillServesAnyCaller()
    {
        var id = (await Host.PlaceAsync()).OrderId;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/orders/{id}/cancel");
        request.Headers.Add("dapr-caller-app-id", "some-frontend");

        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(CancellationReason.CustomerCancelled, (await Host.GetAsync(id)).CancellationReason);
    }

    [Fact]
    public async Task TheOrchestratorCallsThroughItsSidecarAndIsServed()
    {
        using var invoker = await Host.InvokerAsync(Orchestrator);

        async Task<HttpStatusCode> SendAsync(HttpMethod method, string path, object body)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative))
            {
                Content = JsonContent.Create(body, options: ServiceDefaultsExtensions.JsonOptions),
            };
            using var response = await invoker.SendAsync(request);
            return response.StatusCode;
        }

        var items = new[] { new OrderLine("widget", 2, 10.00m) };
        Assert.Equal(HttpStatusCode.Created, await SendAsync(HttpMethod.Put, $"/orders/{Id}", new { CustomerId = "alice", Items = items, DeliveryZone = "north" }));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, $"/orders/{Id}/confirm", new { }));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, $"/orders/{Id}/cancel", new { Reason = CancellationReason.NoCourierAvailable }));
        Assert.Equal(HttpStatusCode.Created, await SendAsync(HttpMethod.Put, "/orders/second", new { CustomerId = "alice", Items = items, DeliveryZone = "north" }));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, "/orders/second/confirm", new { }));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, "/orders/second/complete", new { }));

        Assert.Equal(CancellationReason.NoCourierAvailable, (await Host.GetAsync(Id)).CancellationReason);
        Assert.Equal(OrderStatus.Completed, (await Host.GetAsync("second")).Status);

        // A refusal reads as the orchestrator reads it: 409 and the ProblemDetails `reason`.
        Assert.Equal(HttpStatusCode.Created, await SendAsync(HttpMethod.Put, "/orders/third", new { CustomerId = "alice", Items = items, DeliveryZone = "north" }));
        using var cancelled = await Host.CancelAsync("third");
        using var refused = await invoker.PostAsJsonAsync(new Uri("/orders/third/confirm", UriKind.Relative), new { });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var refusal = await refused.Content.ReadFromJsonAsync<RefusalView>(ServiceDefaultsExtensions.JsonOptions);
        Assert.Equal(CancellationReason.CustomerCancelled, refusal!.Reason);
    }

    private sealed record RefusalView(CancellationReason? Reason);

    [Fact]
    public async Task AnotherAppCallingThroughItsSidecarIsRefusedWith403()
    {
        using var invoker = await Host.InvokerAsync(AppIds.InventoryService);

        using var create = await invoker.PutAsJsonAsync(new Uri($"/orders/{Id}", UriKind.Relative), OrderServiceHost.HappyOrder());
        using var compensate = await invoker.PostAsJsonAsync(new Uri($"/orders/{Id}/cancel", UriKind.Relative), new { reason = "OutOfStock" });

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (create.StatusCode, compensate.StatusCode));
        using var get = await Host.Http.GetAsync($"/orders/{Id}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    private async Task CreateAsync()
    {
        using var response = await Host.CreateOrchestratedAsync(Id, caller: Orchestrator);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private Task<HttpResponseMessage> CommandAsync(string command) =>
        Host.CommandAsync(HttpMethod.Post, $"/orders/{Id}/{command}", caller: Orchestrator);

    private static async Task<OrderView> ViewAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<OrderView>(ServiceDefaultsExtensions.JsonOptions))!;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();
}
