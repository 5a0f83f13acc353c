using DaprSaga.PaymentService.Payments;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;

namespace DaprSaga.PaymentService.Tests;

/// <summary>payment-service through its sidecar: events in, state via its API, events out.</summary>
public sealed class PaymentServiceTests() : HostedTest<PaymentApp>(() => PaymentApp.StartAsync())
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);
    private DateTimeOffset Now => Host.Clock.GetUtcNow();

    private static StockReserved Reserved(string orderId, string customerId, decimal amount, bool autoConfirm = false,
        SagaFlow flow = SagaFlow.Choreography) =>
        new(orderId, flow, customerId, amount, autoConfirm, PaymentApp.Start);

    private static OrderCancelled Cancelled(string orderId, CancellationReason reason = CancellationReason.NoCourierAvailable) =>
        new(orderId, SagaFlow.Choreography, reason, PaymentApp.Start);

    private static async Task<string?> ReasonOf(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.TryGetProperty("reason", out var reason) ? reason.GetString() : null;
    }

    /// <summary>Posts each of <paramref name="commands"/> to o-1's payment in turn, as its customer would: each answer's status, and a refusal's reason.</summary>
    private async Task<(HttpStatusCode Status, string? Reason)[]> AnswersToAsync(params string[] commands)
    {
        var answers = new List<(HttpStatusCode, string?)>();
        foreach (var command in commands)
        {
            using var response = await Host.PostAsync($"/payments/o-1/{command}");
            answers.Add((response.StatusCode, response.IsSuccessStatusCode ? null : await ReasonOf(response)));
        }
        return [.. answers];
    }

    /// <summary>A 409 naming <paramref name="reason"/>, the reason the payment's one PaymentCancelled carries too.</summary>
    private void AssertRefusedAndCancelledOnce((HttpStatusCode Status, string? Reason) answer, CancellationReason reason)
    {
        Assert.Equal((HttpStatusCode.Conflict, reason.ToString()), answer);
        Assert.Equal(reason, Assert.Single(Host.Published<PaymentCancelled>()).Reason);
    }

    /// <summary>Moves the stored payment to <paramref name="phase"/> without its effect, as a crash in between would leave it.</summary>
    private async Task LeaveInPhaseAsync(string orderId, PaymentPhase phase)
    {
        var key = PaymentOperations.KeyOf(orderId);
        var (payment, etag) = await Host.AppDapr.GetStateAndETagAsync<Payment>(Components.PaymentStore, key);
        Assert.True(await Host.AppDapr.TrySaveStateAsync(Components.PaymentStore, key, payment with { Phase = phase }, etag));
    }

    /// <summary>Moves the stored payment to <paramref name="phase"/> as a crash after listing it again and deciding would leave it.</summary>
    private async Task LeaveListedInPhaseAsync(string orderId, PaymentPhase phase)
    {
        var payment = await Host.AppDapr.GetStateAsync<Payment>(Components.PaymentStore, PaymentOperations.KeyOf(orderId));
        await Listing.StoreListedAsync(Host.AppDapr, Components.PaymentStore, PaymentOperations.KeyOf(orderId), payment with { Phase = phase }, Host.Clock);
    }

    private Task<IReadOnlyList<string>> ListedAsync() => Listing.KeysAsync(Host.AppDapr, Components.PaymentStore);

    /// <summary>After a sweep, Bob's payment o-1 has ended in <paramref name="status"/> once: his credit, one event; then it leaves the listing.</summary>
    private async Task AssertASweepSettlesAsync<TEvent>(PaymentStatus status, decimal bobsCredit)
        where TEvent : IIntegrationEvent
    {
        Assert.Equal(HttpStatusCode.OK, await Host.TriggerAsync(Components.OutboxSweep));
        Assert.Equal(status, (await Host.PaymentAsync("o-1"))!.Status);
        Assert.Equal(bobsCredit, await Host.CreditAsync("bob"));
        Assert.Single(Host.Published<TEvent>());
        // Settled, so at rest: a sweep past its listing time unlists it.
        Host.Clock.Advance(Outbox.ListedAtLeast);
        Assert.Equal(HttpStatusCode.OK, await Host.TriggerAsync(Components.OutboxSweep));
        Assert.Empty(await ListedAsync());
    }

    [Fact]
    public void TheSidecarSubscribesToWhatTopologySaysWithTheDeadLetterTopic() => ServiceAssert.SubscribesToItsTopology(Host.Sidecar);

    [Fact]
    public async Task TheDemoCustomersAreSeeded()
    {
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
        Assert.Equal(50.00m, await Host.CreditAsync("bob"));
        Assert.Equal(0.00m, await Host.CreditAsync("carol"));
    }

    [Fact]
    public async Task StockReservedCreatesAPendingPaymentAndRequestsPayment()
    {
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m));

        var payment = await Host.PaymentAsync("o-1");
        Assert.Equal(new PaymentView("o-1", "alice", 20.00m, PaymentStatus.Pending, null, Now + Timeout), payment);
        var requested = Assert.Single(Host.Published<PaymentRequested>());
        Assert.Equal(("o-1", "alice", 20.00m, Now + Timeout), (requested.OrderId, requested.CustomerId, requested.Amount, requested.ExpiresAt));
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
    }

    [Fact]
    public async Task AutoConfirmDebitsTheCustomerOnce()
    {
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));

        Assert.Equal(PaymentStatus.Confirmed, (await Host.PaymentAsync("o-1"))!.Status);
        Assert.Equal(9980.00m, await Host.CreditAsync("alice"));
        Assert.Equal(20.00m, Assert.Single(Host.Published<PaymentConfirmed>()).Amount);
    }

    [Fact]
    public async Task AnAutoConfirmedPaymentCostsAFixedNumberOfStateCalls()
    {
        // Warm up (the demo customers are seeded), then count one payment's calls only.
        await Host.PublishAsync(Reserved("o-0", "alice", 20.00m, autoConfirm: true));
        var before = Host.Sidecar.Calls.Snapshot();

        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));

        var after = Host.Sidecar.Calls.Snapshot();
        long Delta(TestSidecar.SidecarCallKind kind) => after.GetValueOrDefault(kind) - before.GetValueOrDefault(kind);
        Assert.Equal(PaymentStatus.Confirmed, (await Host.PaymentAsync("o-1"))!.Status);
        // Customer R, payment R, payment W (opened straight into Confirming, nobody asked), customer W (with the
        // ETag read), payment R+W, one publish: payment-confirmed. No listing: the delivery comes back until it is sent.
        Assert.Equal((3, 3, 1), (Delta(TestSidecar.SidecarCallKind.StateRead), Delta(TestSidecar.SidecarCallKind.StateWrite), Delta(TestSidecar.SidecarCallKind.Publish)));
    }

    [Fact]
    public async Task ADuplicateStockReservedMakesOnePaymentAndOneDebit()
    {
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));

        Assert.Equal(9980.00m, await Host.CreditAsync("alice"));
        // Pre-authorised: nobody is asked, so nothing is requested.
        Assert.Empty(Host.Published<PaymentRequested>());
        Assert.Single(Host.Published<PaymentConfirmed>());
    }

    [Fact]
    public async Task ConfirmingDebitsOnceAndARepeatAnswersTheSame()
    {
        await Host.PublishAsync(Reserved("o-1", "bob", 30.00m));

        using var first = await Host.PostAsync("/payments/o-1/confirm");
        using var second = await Host.PostAsync("/payments/o-1/confirm");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(PaymentStatus.Confirmed, (await second.Content.ReadFromJsonAsync<PaymentView>(ServiceDefaultsExtensions.JsonOptions))!.Status);
        Assert.Equal(20.00m, await Host.CreditAsync("bob"));
        Assert.Single(Host.Published<PaymentConfirmed>());
    }

    [Fact]
    public async Task ConfirmingWithoutEnoughCreditCancelsThePayment()
    {
        await Host.PublishAsync(Reserved("o-1", "bob", 99.00m));

        var answers = await AnswersToAsync("confirm", "confirm");

        AssertRefusedAndCancelledOnce(answers[0], CancellationReason.InsufficientCredit);
        Assert.Equal((HttpStatusCode.Conflict, "InsufficientCredit"), answers[1]);
        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.InsufficientCredit), ((await Host.PaymentAsync("o-1"))!.Status, (await Host.PaymentAsync("o-1"))!.Reason));
        Assert.Equal(50.00m, await Host.CreditAsync("bob"));
    }

    [Fact]
    public async Task ACancelledPaymentCannotBeConfirmed()
    {
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m));

        var answers = await AnswersToAsync("cancel", "cancel", "confirm");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (answers[0].Status, answers[1].Status));
        AssertRefusedAndCancelledOnce(answers[2], CancellationReason.PaymentCancelled);
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
    }

    [Fact]
    public async Task AConfirmedPaymentCannotBeCancelledByTheCustomer()
    {
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m));

        var answers = await AnswersToAsync("confirm", "cancel");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Conflict), (answers[0].Status, answers[1].Status));
        Assert.Equal(PaymentStatus.Confirmed, (await Host.PaymentAsync("o-1"))!.Status);
        Assert.Empty(Host.Published<PaymentCancelled>());
    }

    [Fact]
    public async Task CommandsForAnUnknownPaymentAreNotFound()
    {
        using var confirm = await Host.PostAsync("/payments/nope/confirm");
        using var cancel = await Host.PostAsync("/payments/nope/cancel");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (confirm.StatusCode, cancel.StatusCode));
        Assert.Null(await Host.PaymentAsync("nope"));
    }

    [Fact]
    public async Task AConfirmAtExactlyExpiresAtIsRefusedAsExpired()
    {
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m));
        Host.Clock.Advance(Timeout);

        var answers = await AnswersToAsync("confirm");

        AssertRefusedAndCancelledOnce(answers[0], CancellationReason.PaymentExpired);
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
    }

    [Fact]
    public async Task TheExpiryTickCancelsOnlyPaymentsWhoseTimeIsUp()
    {
        await Host.PublishAsync(Reserved("o-early", "alice", 20.00m));
        Host.Clock.Advance(TimeSpan.FromMinutes(5));
        await Host.PublishAsync(Reserved("o-late", "alice", 20.00m));
        Host.Clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(HttpStatusCode.OK, await Host.TriggerAsync(Components.PaymentExpiry));
        Assert.Equal(HttpStatusCode.OK, await Host.TriggerAsync(Components.PaymentExpiry));

        Assert.Equal(CancellationReason.PaymentExpired, (await Host.PaymentAsync("o-early"))!.Reason);
        Assert.Equal(PaymentStatus.Pending, (await Host.PaymentAsync("o-late"))!.Status);
        Assert.Equal("o-early", Assert.Single(Host.Published<PaymentCancelled>()).OrderId);
    }

    [Fact]
    public async Task TheExpiryTickFindsPaymentsCreatedBeforeARestart()
    {
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m));
        await Host.StopAppAsync();
        await Host.StartAppAsync();
        Host.Clock.Advance(Timeout);

        Assert.Equal(HttpStatusCode.OK, await Host.TriggerAsync(Components.PaymentExpiry));

        Assert.Equal(CancellationReason.PaymentExpired, (await Host.PaymentAsync("o-1"))!.Reason);
        Assert.Single(Host.Published<PaymentCancelled>());
    }

    [Fact]
    public async Task OrderCancelledAfterPaymentRefundsTheCreditOnce()
    {
        await Host.PublishAsync(Reserved("o-1", "bob", 30.00m, autoConfirm: true));
        Assert.Equal(20.00m, await Host.CreditAsync("bob"));

        await Host.PublishAsync(Cancelled("o-1"));
        await Host.PublishAsync(Cancelled("o-1"));

        Assert.Equal(50.00m, await Host.CreditAsync("bob"));
        Assert.Equal((PaymentStatus.Refunded, CancellationReason.NoCourierAvailable),
            ((await Host.PaymentAsync("o-1"))!.Status, (await Host.PaymentAsync("o-1"))!.Reason));
        Assert.Equal(30.00m, Assert.Single(Host.Published<PaymentRefunded>()).Amount);
        using var confirm = await Host.PostAsync("/payments/o-1/confirm");
        Assert.Equal(HttpStatusCode.Conflict, confirm.StatusCode);
        Assert.Equal(50.00m, await Host.CreditAsync("bob"));
    }

    [Fact]
    public async Task OrderCancelledWhilePendingCancelsWithTheOrdersReason()
    {
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m));

        await Host.PublishAsync(Cancelled("o-1", CancellationReason.CustomerCancelled));

        Assert.Equal(CancellationReason.CustomerCancelled, (await Host.PaymentAsync("o-1"))!.Reason);
        Assert.Equal(CancellationReason.CustomerCancelled, Assert.Single(Host.Published<PaymentCancelled>()).Reason);
        Assert.Empty(Host.Published<PaymentRefunded>());
    }

    [Fact]
    public async Task OrderCancelledBeforeStockReservedLeavesATombstoneSoNothingIsDebitedLater()
    {
        await Host.PublishAsync(Cancelled("o-1", CancellationReason.CustomerCancelled));
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));

        var payment = await Host.PaymentAsync("o-1");
        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.CustomerCancelled, 0m), (payment!.Status, payment.Reason, payment.Amount));
        Assert.Equal(10000.00m, await Host.CreditAsync("alice"));
        Assert.Empty(Host.Published<PaymentRequested>());
        Assert.Empty(Host.Published<PaymentConfirmed>());
    }

    [Fact]
    public async Task AnUnknownCustomerCancelsThePayment()
    {
        await Host.PublishAsync(Reserved("o-1", "nobody", 20.00m, autoConfirm: true));

        Assert.Equal(CancellationReason.UnknownCustomer, (await Host.PaymentAsync("o-1"))!.Reason);
        Assert.Equal(CancellationReason.UnknownCustomer, Assert.Single(Host.Published<PaymentCancelled>()).Reason);
        Assert.Empty(Host.Published<PaymentRequested>());
    }

    [Fact]
    public async Task EventsOfTheOrchestratedFlowAreAcknowledgedAndIgnored()
    {
        await Host.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true, flow: SagaFlow.Orchestration));
        await Host.PublishAsync(new OrderCancelled("o-2", SagaFlow.Orchestration, CancellationReason.OutOfStock, PaymentApp.Start));

        Assert.Null(await Host.PaymentAsync("o-1"));
        Assert.Null(await Host.PaymentAsync("o-2"));
        Assert.Empty(Host.DeadLetters());
        Assert.Equal(0, Host.Testbed.Redeliveries);
    }

    [Fact]
    public async Task AMalformedEventIsDroppedToTheDeadLetterTopic()
    {
        await Host.PublishRawAsync(Topics.StockReserved, new { orderId = "o-1", amount = "lots" });
        await Host.PublishRawAsync(Topics.OrderCancelled, new { orderId = "o||2", flow = "Choreography", reason = "OutOfStock", occurredAt = PaymentApp.Start });

        Assert.Equal([Topics.StockReserved, Topics.OrderCancelled], Host.DeadLetters().Select(e => (string)e.Envelope["topic"]!));
        Assert.Null(await Host.PaymentAsync("o-1"));
        Assert.Equal(0, Host.Testbed.Redeliveries);
    }

    [Fact]
    public async Task TheSweepFinishesAConfirmationACrashLeftInFlight()
    {
        await Host.PublishAsync(Reserved("o-1", "bob", 30.00m));
        // Listed since it was opened (Pending has its expiry left): a crash in flight needs no entry of its own.
        Assert.Equal([PaymentOperations.KeyOf("o-1")], await ListedAsync());
        // As if the app died between deciding to confirm and applying the debit.
        await LeaveInPhaseAsync("o-1", PaymentPhase.Confirming);

        // Swept three times in all: the later passes must not finish it again.
        Assert.Equal(HttpStatusCode.OK, await Host.TriggerAsync(Components.OutboxSweep));

        await AssertASweepSettlesAsync<PaymentConfirmed>(PaymentStatus.Confirmed, bobsCredit: 20.00m);
    }

    [Fact]
    public async Task TheSweepFinishesARefundACrashLeftInFlight()
    {
        await Host.PublishAsync(Reserved("o-1", "bob", 30.00m, autoConfirm: true));
        Host.Clock.Advance(Outbox.ListedAtLeast);
        Assert.Equal(HttpStatusCode.OK, await Host.TriggerAsync(Components.OutboxSweep));
        Assert.Empty(await ListedAsync());
        // As if the app died between deciding to refund (listed again first) and applying the refund.
        await LeaveListedInPhaseAsync("o-1", PaymentPhase.Refunding);

        await AssertASweepSettlesAsync<PaymentRefunded>(PaymentStatus.Refunded, bobsCredit: 50.00m);
    }

    [Fact]
    public async Task PaymentsMovedByDeliveredEventsAreNotListedButAPendingOneIsForItsExpiry()
    {
        await Host.PublishAsync(Reserved("o-1", "bob", 30.00m, autoConfirm: true));
        await Host.PublishAsync(Cancelled("o-1"));
        await Host.PublishAsync(Reserved("o-2", "bob", 30.00m, autoConfirm: false));

        // The refund went through Refunding and the confirmation through Confirming, each finished by its own delivery.
        Assert.Equal(PaymentStatus.Refunded, (await Host.PaymentAsync("o-1"))!.Status);
        Assert.Single(Host.Published<PaymentRefunded>());
        Assert.Equal([PaymentOperations.KeyOf("o-2")], await ListedAsync());
    }

    [Fact]
    public async Task ACustomerIsCreatedWithAGeneratedIdAndALocation()
    {
        using var created = await Host.Http.PostAsJsonAsync("/customers", new { name = "Dora", credit = 12.50m });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var customer = await created.Content.ReadFromJsonAsync<Customers.CustomerView>(ServiceDefaultsExtensions.JsonOptions);
        Assert.Equal(("Dora", 12.50m), (customer!.Name, customer.Credit));
        Assert.Equal($"/customers/{customer.CustomerId}", created.Headers.Location!.ToString());
        Assert.Equal(12.50m, await Host.CreditAsync(customer.CustomerId));
    }

    [Theory]
    [InlineData("""{"name":"Dora","credit":1.005}""", "credit")]
    [InlineData("""{"name":"Dora","credit":-1}""", "credit")]
    [InlineData("""{"name":"Dora","credit":1000000.01}""", "credit")]
    [InlineData("""{"name":"Dora"}""", "credit")]
    [InlineData("""{"name":"Dora","credit":"ten"}""", "credit")]
    [InlineData("""{"name":"","credit":10}""", "name")]
    [InlineData("""{"credit":10}""", "name")]
    public async Task BadCustomerInputIsA400NamingTheFieldAndChangesNothing(string body, string field)
    {
        var before = Host.Testbed.StateStore(Components.PaymentStore).Snapshot();

        using var response = await Host.Http.PostAsync("/customers", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
        Assert.Equal(before.Keys.Order(), Host.Testbed.StateStore(Components.PaymentStore).Snapshot().Keys.Order());
    }

    [Theory]
    [InlineData("/payments/has.dot/confirm", "orderId")]
    [InlineData("/payments/has.dot/cancel", "orderId")]
    public async Task ABadOrderIdIsA400NamingIt(string path, string field)
    {
        using var response = await Host.PostAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }
}
