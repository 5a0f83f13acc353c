using DaprSaga.PaymentService.Payments;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.PaymentService.Tests;

/// <summary>The participant commands order-process-service calls: create, confirm (the customer route) and void.</summary>
public sealed class PaymentCommandsTests() : HostedTest<PaymentApp>(() => PaymentApp.StartAsync())
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);
    private const SagaFlow Orchestration = SagaFlow.Orchestration;
    private DateTimeOffset Now => Host.Clock.GetUtcNow();

    private Task<HttpResponseMessage> CreateAsync(string orderId, string customerId, decimal amount, string? caller = AppIds.OrderProcessService) =>
        Host.PostJsonAsync($"/payments/{orderId}", new { customerId, amount, flow = Orchestration }, caller);

    private Task<HttpResponseMessage> CreatePreauthorisedAsync(string orderId, string customerId, decimal amount) =>
        Host.PostJsonAsync($"/payments/{orderId}", new { customerId, amount, flow = Orchestration, preauthorised = true }, AppIds.OrderProcessService);

    private Task<HttpResponseMessage> VoidAsync(string orderId, object? body = null, string? caller = AppIds.OrderProcessService) =>
        Host.PostJsonAsync($"/payments/{orderId}/void", body ?? new { }, caller);

    private Task<HttpResponseMessage> ConfirmAsync(string orderId, string? caller = AppIds.OrderProcessService) =>
        Host.PostJsonAsync($"/payments/{orderId}/confirm", new { }, caller);

    private static async Task<PaymentView> ViewOf(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PaymentView>(ServiceDefaultsExtensions.JsonOptions))!;
    }

    private static (PaymentStatus, CancellationReason?) StatusAndReason(PaymentView view) => (view.Status, view.Reason);

    private static async Task<(HttpStatusCode, string?)> RefusalOf(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, problem.TryGetProperty("reason", out var reason) ? reason.GetString() : null);
    }

    private IReadOnlyList<SagaFlow> FlowsOfEverythingPublished() =>
        [
            .. Host.Published<PaymentRequested>().Select(e => e.Flow),
            .. Host.Published<PaymentConfirmed>().Select(e => e.Flow),
            .. Host.Published<PaymentCancelled>().Select(e => e.Flow),
            .. Host.Published<PaymentRefunded>().Select(e => e.Flow),
        ];

    [Fact]
    public async Task CreateOpensAPendingPaymentAndRequestsItWithTheOrchestratedFlow()
    {
        using var created = await CreateAsync("o-1", "alice", 20.00m);

        Assert.Equal(new PaymentView("o-1", "alice", 20.00m, PaymentStatus.Pending, null, Now + Timeout), await ViewOf(created));
        var requested = Assert.Single(Host.Published<PaymentRequested>());
        Assert.Equal(("o-1", Orchestration, 20.00m, Now + Timeout), (requested.OrderId, requested.Flow, requested.Amount, requested.ExpiresAt));
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
    }

    [Fact]
    public async Task ARepeatedCreateAnswersTheSameAndRequestsOnce()
    {
        using var first = await CreateAsync("o-1", "alice", 20.00m);
        Host.Clock.Advance(TimeSpan.FromMinutes(1));
        using var second = await CreateAsync("o-1", "alice", 20.00m);

        Assert.Equal(await ViewOf(first), await ViewOf(second));
        Assert.Single(Host.Published<PaymentRequested>());
    }

    [Fact]
    public async Task CreateForAnUnknownCustomerIsRefusedEveryTimeAndCancelledOnce()
    {
        using var refused = await CreateAsync("o-1", "nobody", 20.00m);
        using var again = await CreateAsync("o-1", "nobody", 20.00m);

        Assert.Equal((HttpStatusCode.Conflict, "UnknownCustomer"), await RefusalOf(refused));
        Assert.Equal((HttpStatusCode.Conflict, "UnknownCustomer"), await RefusalOf(again));
        var payment = await Host.PaymentAsync("o-1");
        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.UnknownCustomer), (payment!.Status, payment.Reason));
        var cancelled = Assert.Single(Host.Published<PaymentCancelled>());
        Assert.Equal((CancellationReason.UnknownCustomer, Orchestration), (cancelled.Reason, cancelled.Flow));
        Assert.Empty(Host.Published<PaymentRequested>());
    }

    [Fact]
    public async Task APreauthorisedCreateDebitsAtOnceWithNoPaymentRequestedAndARepeatAnswersTheSame()
    {
        using var created = await CreatePreauthorisedAsync("o-1", "bob", 30.00m);
        Host.Clock.Advance(TimeSpan.FromMinutes(1));
        using var repeat = await CreatePreauthorisedAsync("o-1", "bob", 30.00m);

        var view = await ViewOf(created);
        Assert.Equal((PaymentStatus.Confirmed, null), StatusAndReason(view));
        Assert.Equal(view, await ViewOf(repeat));
        Assert.Equal(20.00m, await Host.CreditAsync("bob"));
        Assert.Empty(Host.Published<PaymentRequested>());
        var confirmed = Assert.Single(Host.Published<PaymentConfirmed>());
        Assert.Equal(("o-1", Orchestration, 30.00m), (confirmed.OrderId, confirmed.Flow, confirmed.Amount));
    }

    [Fact]
    public async Task APreauthorisedCreateWithoutEnoughCreditIsRefusedEveryTimeAndCancelledOnce()
    {
        using var refused = await CreatePreauthorisedAsync("o-1", "bob", 99.00m);
        using var again = await CreatePreauthorisedAsync("o-1", "bob", 99.00m);

        Assert.Equal((HttpStatusCode.Conflict, "InsufficientCredit"), await RefusalOf(refused));
        Assert.Equal((HttpStatusCode.Conflict, "InsufficientCredit"), await RefusalOf(again));
        var cancelled = Assert.Single(Host.Published<PaymentCancelled>());
        Assert.Equal((CancellationReason.InsufficientCredit, Orchestration), (cancelled.Reason, cancelled.Flow));
        Assert.Empty(Host.Published<PaymentRequested>());
        Assert.Empty(Host.Published<PaymentConfirmed>());
        Assert.Equal(50.00m, await Host.CreditAsync("bob"));
    }

    [Fact]
    public async Task APreauthorisedCreateForAnUnknownCustomerIsRefusedAsAnyCreate()
    {
        using var refused = await CreatePreauthorisedAsync("o-1", "nobody", 20.00m);

        Assert.Equal((HttpStatusCode.Conflict, "UnknownCustomer"), await RefusalOf(refused));
        Assert.Empty(Host.Published<PaymentRequested>());
    }

    [Fact]
    public async Task TheOrchestratorConfirmsThroughTheCustomerRouteAndPaymentConfirmedSaysOrchestration()
    {
        using var created = await CreateAsync("o-1", "bob", 30.00m);

        using var confirmed = await ConfirmAsync("o-1");
        using var repeat = await ConfirmAsync("o-1");

        Assert.Equal(PaymentStatus.Confirmed, (await ViewOf(confirmed)).Status);
        Assert.Equal(PaymentStatus.Confirmed, (await ViewOf(repeat)).Status);
        Assert.Equal(20.00m, await Host.CreditAsync("bob"));
        Assert.Equal(Orchestration, Assert.Single(Host.Published<PaymentConfirmed>()).Flow);
    }

    [Fact]
    public async Task AConfirmWithoutEnoughCreditIsRefusedAndPaymentCancelledSaysOrchestration()
    {
        using var created = await CreateAsync("o-1", "bob", 99.00m);

        using var refused = await ConfirmAsync("o-1");
        using var again = await ConfirmAsync("o-1");

        Assert.Equal((HttpStatusCode.Conflict, "InsufficientCredit"), await RefusalOf(refused));
        Assert.Equal((HttpStatusCode.Conflict, "InsufficientCredit"), await RefusalOf(again));
        var cancelled = Assert.Single(Host.Published<PaymentCancelled>());
        Assert.Equal((CancellationReason.InsufficientCredit, Orchestration), (cancelled.Reason, cancelled.Flow));
        Assert.Equal(50.00m, await Host.CreditAsync("bob"));
    }

    [Fact]
    public async Task TheCustomersOwnConfirmAndCancelOfAnOrchestratedPaymentResumeTheOrchestrator()
    {
        using var first = await CreateAsync("o-1", "alice", 20.00m);
        using var second = await CreateAsync("o-2", "alice", 5.00m);

        // The customer calls directly: no dapr-caller-app-id header.
        using var confirmed = await Host.PostAsync("/payments/o-1/confirm");
        using var cancelled = await Host.PostAsync("/payments/o-2/cancel");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (confirmed.StatusCode, cancelled.StatusCode));
        var confirm = Assert.Single(Host.Published<PaymentConfirmed>());
        Assert.Equal(("o-1", Orchestration), (confirm.OrderId, confirm.Flow));
        var cancel = Assert.Single(Host.Published<PaymentCancelled>());
        Assert.Equal(("o-2", CancellationReason.PaymentCancelled, Orchestration), (cancel.OrderId, cancel.Reason, cancel.Flow));
    }

    [Fact]
    public async Task AnOrchestratedPaymentExpiresByItsClockAndSaysOrchestration()
    {
        using var created = await CreateAsync("o-1", "alice", 20.00m);
        Host.Clock.Advance(Timeout);

        Assert.Equal(HttpStatusCode.OK, await Host.TriggerAsync(Components.PaymentExpiry));

        var cancelled = Assert.Single(Host.Published<PaymentCancelled>());
        Assert.Equal((CancellationReason.PaymentExpired, Orchestration), (cancelled.Reason, cancelled.Flow));
        using var confirm = await ConfirmAsync("o-1");
        Assert.Equal((HttpStatusCode.Conflict, "PaymentExpired"), await RefusalOf(confirm));
        // A repeated create still answers 200: the create was done; the confirm answers for the expiry.
        using var repeat = await CreateAsync("o-1", "alice", 20.00m);
        Assert.Equal(PaymentStatus.Cancelled, (await ViewOf(repeat)).Status);
    }

    [Fact]
    public async Task VoidCancelsAPendingPaymentWithTheReasonSentOnce()
    {
        using var created = await CreateAsync("o-1", "alice", 20.00m);

        using var voided = await VoidAsync("o-1", new { reason = "NoCourierAvailable" });
        using var repeat = await VoidAsync("o-1");

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.NoCourierAvailable), StatusAndReason(await ViewOf(voided)));
        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.NoCourierAvailable), StatusAndReason(await ViewOf(repeat)));
        var cancelled = Assert.Single(Host.Published<PaymentCancelled>());
        Assert.Equal((CancellationReason.NoCourierAvailable, Orchestration), (cancelled.Reason, cancelled.Flow));
        Assert.Empty(Host.Published<PaymentRefunded>());
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("")]
    [InlineData("""{"reason":null}""")]
    public async Task VoidWithoutAReasonCancelsAsPaymentCancelled(string body)
    {
        using var created = await CreateAsync("o-1", "alice", 20.00m);

        using var voided = await VoidAsync("o-1", body);

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.PaymentCancelled), StatusAndReason(await ViewOf(voided)));
    }

    [Fact]
    public async Task VoidRefundsAConfirmedPaymentOnce()
    {
        using var created = await CreateAsync("o-1", "bob", 30.00m);
        using var confirmed = await ConfirmAsync("o-1");
        Assert.Equal(20.00m, await Host.CreditAsync("bob"));

        using var voided = await VoidAsync("o-1", new { reason = "NoCourierAvailable" });
        using var repeat = await VoidAsync("o-1");

        Assert.Equal(PaymentStatus.Refunded, (await ViewOf(voided)).Status);
        Assert.Equal(PaymentStatus.Refunded, (await ViewOf(repeat)).Status);
        Assert.Equal(50.00m, await Host.CreditAsync("bob"));
        var refunded = Assert.Single(Host.Published<PaymentRefunded>());
        Assert.Equal((30.00m, Orchestration), (refunded.Amount, refunded.Flow));
        using var confirmAgain = await ConfirmAsync("o-1");
        Assert.Equal(HttpStatusCode.Conflict, confirmAgain.StatusCode);
        Assert.Equal(50.00m, await Host.CreditAsync("bob"));
    }

    [Fact]
    public async Task VoidLeavesACancelledPaymentAsItIs()
    {
        using var created = await CreateAsync("o-1", "bob", 99.00m);
        using var refused = await ConfirmAsync("o-1");

        using var voided = await VoidAsync("o-1");

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.InsufficientCredit), StatusAndReason(await ViewOf(voided)));
        Assert.Single(Host.Published<PaymentCancelled>());
    }

    [Fact]
    public async Task VoidFinishesAConfirmationInFlightThenRefundsIt()
    {
        using var created = await CreateAsync("o-1", "bob", 30.00m);
        // As if a confirm died between deciding to confirm and applying the debit.
        using var dapr = Host.Sidecar.NewDaprClient();
        var key = PaymentOperations.KeyOf("o-1");
        var (pending, etag) = await dapr.GetStateAndETagAsync<Payment>(Components.PaymentStore, key);
        Assert.True(await dapr.TrySaveStateAsync(Components.PaymentStore, key, pending with { Phase = PaymentPhase.Confirming }, etag));

        using var voided = await VoidAsync("o-1");

        Assert.Equal(PaymentStatus.Refunded, (await ViewOf(voided)).Status);
        Assert.Equal(50.00m, await Host.CreditAsync("bob"));
        Assert.Single(Host.Published<PaymentConfirmed>());
        Assert.Single(Host.Published<PaymentRefunded>());
        Assert.All(FlowsOfEverythingPublished(), flow => Assert.Equal(Orchestration, flow));
    }

    [Fact]
    public async Task ConfirmsAndVoidsRacingEndCancelledOrRefundedWithEachEffectOnce()
    {
        var orders = Enumerable.Range(1, 12).Select(n => $"o-{n}").ToList();
        foreach (var orderId in orders) (await CreateAsync(orderId, "alice", 10.00m)).Dispose();

        var calls = orders.SelectMany(orderId => new[]
        {
            ConfirmAsync(orderId), VoidAsync(orderId), ConfirmAsync(orderId), VoidAsync(orderId), CreateAsync(orderId, "alice", 10.00m),
        });
        foreach (var response in await Task.WhenAll(calls)) response.Dispose();

        var refunded = 0;
        foreach (var orderId in orders)
        {
            var payment = (await Host.PaymentAsync(orderId))!;
            Assert.Contains(payment.Status, new[] { PaymentStatus.Cancelled, PaymentStatus.Refunded });
            if (payment.Status == PaymentStatus.Refunded) refunded++;
        }
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
        Assert.Equal(refunded, Host.Published<PaymentConfirmed>().Select(e => e.OrderId).Distinct().Count());
        Assert.Equal(refunded, Host.Published<PaymentRefunded>().Select(e => e.OrderId).Distinct().Count());
        Assert.Equal(orders.Count - refunded, Host.Published<PaymentCancelled>().Select(e => e.OrderId).Distinct().Count());
        Assert.All(FlowsOfEverythingPublished(), flow => Assert.Equal(Orchestration, flow));
    }

    [Fact]
    public async Task VoidBeforeCreateLeavesATombstoneSoALateCreateOpensNothing()
    {
        using var voided = await VoidAsync("o-1", new { reason = "OutOfStock" });
        using var repeat = await VoidAsync("o-1");
        using var late = await CreateAsync("o-1", "alice", 20.00m);
        using var lateConfirm = await ConfirmAsync("o-1");

        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.OutOfStock), StatusAndReason(await ViewOf(voided)));
        Assert.Equal(PaymentStatus.Cancelled, (await ViewOf(repeat)).Status);
        // The orchestrator is compensating anyway: the late create answers 200 with the tombstone.
        var tombstone = await ViewOf(late);
        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.OutOfStock, 0m, null), (tombstone.Status, tombstone.Reason, tombstone.Amount, tombstone.CustomerId));
        Assert.Equal((HttpStatusCode.Conflict, "OutOfStock"), await RefusalOf(lateConfirm));
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
        Assert.Empty(FlowsOfEverythingPublished());
    }

    [Fact]
    public async Task ATombstoneForAnUnknownCustomersReasonIsNoRefusal()
    {
        using var voided = await VoidAsync("o-1", new { reason = "UnknownCustomer" });

        using var late = await CreateAsync("o-1", "nobody", 20.00m);

        Assert.Equal(PaymentStatus.Cancelled, (await ViewOf(late)).Status);
        Assert.Empty(FlowsOfEverythingPublished());
    }

    [Fact]
    public async Task OrchestratedEventsDoNotTriggerTheChoreographyReactions()
    {
        using var created = await CreateAsync("o-1", "alice", 20.00m);

        await Host.PublishAsync(new StockReserved("o-1", Orchestration, "alice", 20.00m, AutoConfirmPayment: true, PaymentApp.Start));
        await Host.PublishAsync(new OrderCancelled("o-1", Orchestration, CancellationReason.OutOfStock, PaymentApp.Start));

        Assert.Equal(PaymentStatus.Pending, (await Host.PaymentAsync("o-1"))!.Status);
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
        Assert.Single(Host.Published<PaymentRequested>());
        Assert.Empty(Host.Published<PaymentConfirmed>());
        Assert.Empty(Host.Published<PaymentCancelled>());
        Assert.Empty(Host.DeadLetters());
    }

    [Fact]
    public async Task ChoreographyKeepsWorkingBesideOrchestratedPayments()
    {
        using var created = await CreateAsync("o-orch", "alice", 20.00m);

        await Host.PublishAsync(new StockReserved("o-chor", SagaFlow.Choreography, "alice", 10.00m, AutoConfirmPayment: true, PaymentApp.Start));

        Assert.Equal(PaymentStatus.Confirmed, (await Host.PaymentAsync("o-chor"))!.Status);
        Assert.Equal(PaymentStatus.Pending, (await Host.PaymentAsync("o-orch"))!.Status);
        Assert.Equal(SagaFlow.Choreography, Assert.Single(Host.Published<PaymentConfirmed>()).Flow);
        Assert.Equal(9990.00m, await Host.CreditAsync("alice"));
    }

    [Fact]
    public async Task CreateAndVoidServeTheOrchestrator()
    {
        using var created = await CreateAsync("o-1", "alice", 20.00m);
        using var voided = await VoidAsync("o-1");

        Assert.Equal(PaymentStatus.Pending, (await ViewOf(created)).Status);
        Assert.Equal(PaymentStatus.Cancelled, (await ViewOf(voided)).Status);
    }

    [Theory]
    [InlineData(AppIds.OrderService)]
    [InlineData(null)]
    public async Task CreateAndVoidRefuseAnyOtherCallerOrADirectCallWith403AndChangeNothing(string? caller)
    {
        using var create = await CreateAsync("o-1", "alice", 20.00m, caller);
        using var existing = await CreateAsync("o-2", "alice", 20.00m);
        using var @void = await VoidAsync("o-2", caller: caller);
        using var tombstone = await VoidAsync("o-3", caller: caller);

        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden],
            new[] { create.StatusCode, @void.StatusCode, tombstone.StatusCode });
        Assert.Null(await Host.PaymentAsync("o-1"));
        Assert.Equal(PaymentStatus.Pending, (await Host.PaymentAsync("o-2"))!.Status);
        Assert.Null(await Host.PaymentAsync("o-3"));
        Assert.Single(Host.Published<PaymentRequested>());
    }

    [Fact]
    public async Task TheCustomerRoutesHaveNoCallerCheck()
    {
        using var first = await CreateAsync("o-1", "alice", 20.00m);
        using var second = await CreateAsync("o-2", "alice", 20.00m);

        using var confirm = await ConfirmAsync("o-1", caller: AppIds.OrderService);
        using var cancel = await Host.PostJsonAsync("/payments/o-2/cancel", new { }, AppIds.OrderService);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (confirm.StatusCode, cancel.StatusCode));
    }

    [Fact]
    public async Task ThroughRealInvocationTheOrchestratorIsServedAndAnotherAppIsRefused()
    {
        var orchestrator = await Host.ClientAsync(AppIds.OrderProcessService);
        var orderService = await Host.ClientAsync(AppIds.OrderService);
        using var asOrchestrator = orchestrator.CreateInvokableHttpClient(AppIds.PaymentService);
        using var asOrderService = orderService.CreateInvokableHttpClient(AppIds.PaymentService);
        var body = new { customerId = "alice", amount = 20.00m, flow = Orchestration };

        using var refused = await asOrderService.PostAsJsonAsync(new Uri("/payments/o-1", UriKind.Relative), body, ServiceDefaultsExtensions.JsonOptions);
        using var created = await asOrchestrator.PostAsJsonAsync(new Uri("/payments/o-1", UriKind.Relative), body, ServiceDefaultsExtensions.JsonOptions);
        using var voidRefused = await asOrderService.PostAsJsonAsync(new Uri("/payments/o-1/void", UriKind.Relative), new { }, ServiceDefaultsExtensions.JsonOptions);
        using var confirmed = await asOrchestrator.PostAsJsonAsync(new Uri("/payments/o-1/confirm", UriKind.Relative), new { }, ServiceDefaultsExtensions.JsonOptions);
        using var voided = await asOrchestrator.PostAsJsonAsync(new Uri("/payments/o-1/void", UriKind.Relative), new { }, ServiceDefaultsExtensions.JsonOptions);

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (refused.StatusCode, voidRefused.StatusCode));
        Assert.Equal(PaymentStatus.Pending, (await ViewOf(created)).Status);
        Assert.Equal(PaymentStatus.Confirmed, (await ViewOf(confirmed)).Status);
        Assert.Equal(PaymentStatus.Refunded, (await ViewOf(voided)).Status);
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
    }

    [Theory]
    [InlineData("/payments/o-1", """{"amount":20,"flow":"Orchestration"}""", "customerId")]
    [InlineData("/payments/o-1", """{"customerId":"a||b","amount":20,"flow":"Orchestration"}""", "customerId")]
    [InlineData("/payments/o-1", """{"customerId":"alice","flow":"Orchestration"}""", "amount")]
    [InlineData("/payments/o-1", """{"customerId":"alice","amount":-1,"flow":"Orchestration"}""", "amount")]
    [InlineData("/payments/o-1", """{"customerId":"alice","amount":1.005,"flow":"Orchestration"}""", "amount")]
    [InlineData("/payments/o-1", """{"customerId":"alice","amount":"ten","flow":"Orchestration"}""", "amount")]
    [InlineData("/payments/o-1", """{"customerId":"alice","amount":20}""", "flow")]
    [InlineData("/payments/o-1", """{"customerId":"alice","amount":20,"flow":"Sideways"}""", "flow")]
    [InlineData("/payments/o-1", """{"customerId":"alice","amount":20,"flow":1}""", "flow")]
    [InlineData("/payments/o-1", """{"customerId":"alice","amount":20,"flow":"Orchestration","preauthorised":"yes"}""", "preauthorised")]
    [InlineData("/payments/o-1", "", "customerId")]
    [InlineData("/payments/o-1", "[1]", "body")]
    [InlineData("/payments/has.dot", """{"customerId":"alice","amount":20,"flow":"Orchestration"}""", "orderId")]
    [InlineData("/payments/o-1/void", """{"reason":"Whatever"}""", "reason")]
    [InlineData("/payments/o-1/void", """{"reason":3}""", "reason")]
    [InlineData("/payments/has.dot/void", "{}", "orderId")]
    public async Task BadCommandInputIsA400NamingTheFieldAndChangesNothing(string path, string body, string field)
    {
        var before = Host.Testbed.StateStore(Components.PaymentStore).Snapshot();

        using var response = await Host.PostJsonAsync(path, body, AppIds.OrderProcessService);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
        Assert.Equal(before.Keys.Order(), Host.Testbed.StateStore(Components.PaymentStore).Snapshot().Keys.Order());
        Assert.Empty(FlowsOfEverythingPublished());
    }

    [Fact]
    public async Task SwaggerListsTheParticipantCommands()
    {
        var document = await Host.Http.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json");

        var tagged = document!["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => (path.Key, operation.Key, operation.Value!["tags"]!.AsArray())))
            .Where(o => o.Item3.Any(t => (string?)t == ParticipantCommands.Tag))
            .Select(o => $"{o.Item2.ToUpperInvariant()} {o.Item1}")
            .Order();
        Assert.Equal(["POST /payments/{orderId}", "POST /payments/{orderId}/confirm", "POST /payments/{orderId}/void"], tagged);
    }
}
