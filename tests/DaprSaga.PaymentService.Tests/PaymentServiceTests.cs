using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.PaymentService.Payments;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.PaymentService.Tests;

/// <summary>payment-service through its sidecar: events in, state via its API, events out.</summary>
public sealed class PaymentServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);
    private PaymentApp _app = null!;

    public async Task InitializeAsync() => _app = await PaymentApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private DateTimeOffset Now => _app.Clock.GetUtcNow();

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

    [Fact]
    public void TheSidecarSubscribesToWhatTopologySaysWithTheDeadLetterTopic()
    {
        // Its own dead-letter topic is subscribed too (by MapDeadLetters), without a dead-letter topic of its own.
        var subscriptions = _app.Sidecar.Subscriptions.Where(s => s.Topic != Topics.DeadLetters(AppIds.PaymentService)).ToList();

        Assert.Equal(Topology.Subscribes[AppIds.PaymentService].Order(), subscriptions.Select(s => s.Topic).Order());
        Assert.All(subscriptions, s => Assert.Equal((Components.PubSub, Topics.DeadLetters(AppIds.PaymentService)), (s.PubsubName, s.DeadLetterTopic)));
    }

    [Fact]
    public async Task TheDemoCustomersAreSeeded()
    {
        Assert.Equal(10000.00m, await _app.CreditAsync("alice"));
        Assert.Equal(50.00m, await _app.CreditAsync("bob"));
        Assert.Equal(0.00m, await _app.CreditAsync("carol"));
    }

    [Fact]
    public async Task StockReservedCreatesAPendingPaymentAndRequestsPayment()
    {
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m));

        var payment = await _app.PaymentAsync("o-1");
        Assert.Equal(new PaymentView("o-1", "alice", 20.00m, PaymentStatus.Pending, null, Now + Timeout), payment);
        var requested = Assert.Single(_app.Published<PaymentRequested>());
        Assert.Equal(("o-1", "alice", 20.00m, Now + Timeout), (requested.OrderId, requested.CustomerId, requested.Amount, requested.ExpiresAt));
        Assert.Equal(10000.00m, await _app.CreditAsync("alice"));
    }

    [Fact]
    public async Task AutoConfirmDebitsTheCustomerOnce()
    {
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));

        Assert.Equal(PaymentStatus.Confirmed, (await _app.PaymentAsync("o-1"))!.Status);
        Assert.Equal(9980.00m, await _app.CreditAsync("alice"));
        Assert.Equal(20.00m, Assert.Single(_app.Published<PaymentConfirmed>()).Amount);
    }

    [Fact]
    public async Task AnAutoConfirmedPaymentCostsAFixedNumberOfStateCalls()
    {
        // Warm up (the demo customers are seeded), then count one payment's calls only.
        await _app.PublishAsync(Reserved("o-0", "alice", 20.00m, autoConfirm: true));
        var before = _app.Sidecar.Calls.Snapshot();

        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));

        var after = _app.Sidecar.Calls.Snapshot();
        long Delta(TestSidecar.SidecarCallKind kind) => after.GetValueOrDefault(kind) - before.GetValueOrDefault(kind);
        Assert.Equal(PaymentStatus.Confirmed, (await _app.PaymentAsync("o-1"))!.Status);
        // Customer R, payment R, unsettled index R+W, outbox index R+W, payment W (opened straight into Confirming),
        // customer W (with the ETag read), payment R+W, two publishes.
        Assert.Equal((5, 5, 2), (Delta(TestSidecar.SidecarCallKind.StateRead), Delta(TestSidecar.SidecarCallKind.StateWrite), Delta(TestSidecar.SidecarCallKind.Publish)));
    }

    [Fact]
    public async Task ADuplicateStockReservedMakesOnePaymentAndOneDebit()
    {
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));

        Assert.Equal(9980.00m, await _app.CreditAsync("alice"));
        Assert.Single(_app.Published<PaymentRequested>());
        Assert.Single(_app.Published<PaymentConfirmed>());
    }

    [Fact]
    public async Task ConfirmingDebitsOnceAndARepeatAnswersTheSame()
    {
        await _app.PublishAsync(Reserved("o-1", "bob", 30.00m));

        using var first = await _app.PostAsync("/payments/o-1/confirm");
        using var second = await _app.PostAsync("/payments/o-1/confirm");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(PaymentStatus.Confirmed, (await second.Content.ReadFromJsonAsync<PaymentView>(ServiceDefaultsExtensions.JsonOptions))!.Status);
        Assert.Equal(20.00m, await _app.CreditAsync("bob"));
        Assert.Single(_app.Published<PaymentConfirmed>());
    }

    [Fact]
    public async Task ConfirmingWithoutEnoughCreditCancelsThePayment()
    {
        await _app.PublishAsync(Reserved("o-1", "bob", 99.00m));

        using var refused = await _app.PostAsync("/payments/o-1/confirm");
        using var again = await _app.PostAsync("/payments/o-1/confirm");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("InsufficientCredit", await ReasonOf(refused));
        Assert.Equal((HttpStatusCode.Conflict, "InsufficientCredit"), (again.StatusCode, await ReasonOf(again)));
        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.InsufficientCredit), ((await _app.PaymentAsync("o-1"))!.Status, (await _app.PaymentAsync("o-1"))!.Reason));
        Assert.Equal(CancellationReason.InsufficientCredit, Assert.Single(_app.Published<PaymentCancelled>()).Reason);
        Assert.Equal(50.00m, await _app.CreditAsync("bob"));
    }

    [Fact]
    public async Task ACancelledPaymentCannotBeConfirmed()
    {
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m));

        using var cancel = await _app.PostAsync("/payments/o-1/cancel");
        using var repeat = await _app.PostAsync("/payments/o-1/cancel");
        using var confirm = await _app.PostAsync("/payments/o-1/confirm");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (cancel.StatusCode, repeat.StatusCode));
        Assert.Equal((HttpStatusCode.Conflict, "PaymentCancelled"), (confirm.StatusCode, await ReasonOf(confirm)));
        Assert.Equal(CancellationReason.PaymentCancelled, Assert.Single(_app.Published<PaymentCancelled>()).Reason);
        Assert.Equal(10000.00m, await _app.CreditAsync("alice"));
    }

    [Fact]
    public async Task AConfirmedPaymentCannotBeCancelledByTheCustomer()
    {
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m));

        using var confirm = await _app.PostAsync("/payments/o-1/confirm");
        using var cancel = await _app.PostAsync("/payments/o-1/cancel");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Conflict), (confirm.StatusCode, cancel.StatusCode));
        Assert.Equal(PaymentStatus.Confirmed, (await _app.PaymentAsync("o-1"))!.Status);
        Assert.Empty(_app.Published<PaymentCancelled>());
    }

    [Fact]
    public async Task CommandsForAnUnknownPaymentAreNotFound()
    {
        using var confirm = await _app.PostAsync("/payments/nope/confirm");
        using var cancel = await _app.PostAsync("/payments/nope/cancel");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (confirm.StatusCode, cancel.StatusCode));
        Assert.Null(await _app.PaymentAsync("nope"));
    }

    [Fact]
    public async Task AConfirmAtExactlyExpiresAtIsRefusedAsExpired()
    {
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m));
        _app.Clock.Advance(Timeout);

        using var confirm = await _app.PostAsync("/payments/o-1/confirm");

        Assert.Equal((HttpStatusCode.Conflict, "PaymentExpired"), (confirm.StatusCode, await ReasonOf(confirm)));
        Assert.Equal(CancellationReason.PaymentExpired, Assert.Single(_app.Published<PaymentCancelled>()).Reason);
        Assert.Equal(10000.00m, await _app.CreditAsync("alice"));
    }

    [Fact]
    public async Task TheExpiryTickCancelsOnlyPaymentsWhoseTimeIsUp()
    {
        await _app.PublishAsync(Reserved("o-early", "alice", 20.00m));
        _app.Clock.Advance(TimeSpan.FromMinutes(5));
        await _app.PublishAsync(Reserved("o-late", "alice", 20.00m));
        _app.Clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(HttpStatusCode.OK, await _app.TriggerAsync(Components.PaymentExpiry));
        Assert.Equal(HttpStatusCode.OK, await _app.TriggerAsync(Components.PaymentExpiry));

        Assert.Equal(CancellationReason.PaymentExpired, (await _app.PaymentAsync("o-early"))!.Reason);
        Assert.Equal(PaymentStatus.Pending, (await _app.PaymentAsync("o-late"))!.Status);
        Assert.Equal("o-early", Assert.Single(_app.Published<PaymentCancelled>()).OrderId);
    }

    [Fact]
    public async Task TheExpiryTickFindsPaymentsCreatedBeforeARestart()
    {
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m));
        await _app.StopAppAsync();
        await _app.StartAppAsync();
        _app.Clock.Advance(Timeout);

        Assert.Equal(HttpStatusCode.OK, await _app.TriggerAsync(Components.PaymentExpiry));

        Assert.Equal(CancellationReason.PaymentExpired, (await _app.PaymentAsync("o-1"))!.Reason);
        Assert.Single(_app.Published<PaymentCancelled>());
    }

    [Fact]
    public async Task OrderCancelledAfterPaymentRefundsTheCreditOnce()
    {
        await _app.PublishAsync(Reserved("o-1", "bob", 30.00m, autoConfirm: true));
        Assert.Equal(20.00m, await _app.CreditAsync("bob"));

        await _app.PublishAsync(Cancelled("o-1"));
        await _app.PublishAsync(Cancelled("o-1"));

        Assert.Equal(50.00m, await _app.CreditAsync("bob"));
        Assert.Equal((PaymentStatus.Refunded, CancellationReason.NoCourierAvailable),
            ((await _app.PaymentAsync("o-1"))!.Status, (await _app.PaymentAsync("o-1"))!.Reason));
        Assert.Equal(30.00m, Assert.Single(_app.Published<PaymentRefunded>()).Amount);
        using var confirm = await _app.PostAsync("/payments/o-1/confirm");
        Assert.Equal(HttpStatusCode.Conflict, confirm.StatusCode);
        Assert.Equal(50.00m, await _app.CreditAsync("bob"));
    }

    [Fact]
    public async Task OrderCancelledWhilePendingCancelsWithTheOrdersReason()
    {
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m));

        await _app.PublishAsync(Cancelled("o-1", CancellationReason.CustomerCancelled));

        Assert.Equal(CancellationReason.CustomerCancelled, (await _app.PaymentAsync("o-1"))!.Reason);
        Assert.Equal(CancellationReason.CustomerCancelled, Assert.Single(_app.Published<PaymentCancelled>()).Reason);
        Assert.Empty(_app.Published<PaymentRefunded>());
    }

    [Fact]
    public async Task OrderCancelledBeforeStockReservedLeavesATombstoneSoNothingIsDebitedLater()
    {
        await _app.PublishAsync(Cancelled("o-1", CancellationReason.CustomerCancelled));
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true));

        var payment = await _app.PaymentAsync("o-1");
        Assert.Equal((PaymentStatus.Cancelled, CancellationReason.CustomerCancelled, 0m), (payment!.Status, payment.Reason, payment.Amount));
        Assert.Equal(10000.00m, await _app.CreditAsync("alice"));
        Assert.Empty(_app.Published<PaymentRequested>());
        Assert.Empty(_app.Published<PaymentConfirmed>());
    }

    [Fact]
    public async Task AnUnknownCustomerCancelsThePayment()
    {
        await _app.PublishAsync(Reserved("o-1", "nobody", 20.00m, autoConfirm: true));

        Assert.Equal(CancellationReason.UnknownCustomer, (await _app.PaymentAsync("o-1"))!.Reason);
        Assert.Equal(CancellationReason.UnknownCustomer, Assert.Single(_app.Published<PaymentCancelled>()).Reason);
        Assert.Empty(_app.Published<PaymentRequested>());
    }

    [Fact]
    public async Task EventsOfTheOrchestratedFlowAreAcknowledgedAndIgnored()
    {
        await _app.PublishAsync(Reserved("o-1", "alice", 20.00m, autoConfirm: true, flow: SagaFlow.Orchestration));
        await _app.PublishAsync(new OrderCancelled("o-2", SagaFlow.Orchestration, CancellationReason.OutOfStock, PaymentApp.Start));

        Assert.Null(await _app.PaymentAsync("o-1"));
        Assert.Null(await _app.PaymentAsync("o-2"));
        Assert.Empty(_app.DeadLetters());
        Assert.Equal(0, _app.Testbed.Redeliveries);
    }

    [Fact]
    public async Task AMalformedEventIsDroppedToTheDeadLetterTopic()
    {
        await _app.PublishRawAsync(Topics.StockReserved, new { orderId = "o-1", amount = "lots" });
        await _app.PublishRawAsync(Topics.OrderCancelled, new { orderId = "o||2", flow = "Choreography", reason = "OutOfStock", occurredAt = PaymentApp.Start });

        Assert.Equal([Topics.StockReserved, Topics.OrderCancelled], _app.DeadLetters().Select(e => (string)e.Envelope["topic"]!));
        Assert.Null(await _app.PaymentAsync("o-1"));
        Assert.Equal(0, _app.Testbed.Redeliveries);
    }

    [Fact]
    public async Task TheSweepFinishesAConfirmationACrashLeftInFlight()
    {
        await _app.PublishAsync(Reserved("o-1", "bob", 30.00m));
        // As if the app died between deciding to confirm and applying the debit.
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint(_app.Sidecar.GrpcEndpoint.ToString())
            .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions).Build();
        // Listed since it was opened: a crash in flight needs no entry of its own.
        var index = new UnsettledPayments(dapr, Components.PaymentStore);
        Assert.Equal([new UnsettledEntry("o-1", PaymentPhase.Pending)], await index.ListAsync());
        var key = PaymentOperations.KeyOf("o-1");
        var (pending, etag) = await dapr.GetStateAndETagAsync<Payment>(Components.PaymentStore, key);
        Assert.True(await dapr.TrySaveStateAsync(Components.PaymentStore, key, pending with { Phase = PaymentPhase.Confirming }, etag));

        Assert.Equal(HttpStatusCode.OK, await _app.TriggerAsync(Components.OutboxSweep));
        Assert.Equal(HttpStatusCode.OK, await _app.TriggerAsync(Components.OutboxSweep));

        Assert.Equal(PaymentStatus.Confirmed, (await _app.PaymentAsync("o-1"))!.Status);
        Assert.Equal(20.00m, await _app.CreditAsync("bob"));
        Assert.Single(_app.Published<PaymentConfirmed>());
        Assert.Empty(await index.ListAsync());
    }

    [Fact]
    public async Task TheSweepFinishesARefundACrashLeftInFlight()
    {
        await _app.PublishAsync(Reserved("o-1", "bob", 30.00m, autoConfirm: true));
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint(_app.Sidecar.GrpcEndpoint.ToString())
            .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions).Build();
        var index = new UnsettledPayments(dapr, Components.PaymentStore);
        Assert.Equal(HttpStatusCode.OK, await _app.TriggerAsync(Components.OutboxSweep));
        Assert.Empty(await index.ListAsync());
        // As if the app died between deciding to refund (listed again first) and applying the refund.
        await index.EnterAsync("o-1", PaymentPhase.Refunding);
        var key = PaymentOperations.KeyOf("o-1");
        var (confirmed, etag) = await dapr.GetStateAndETagAsync<Payment>(Components.PaymentStore, key);
        Assert.True(await dapr.TrySaveStateAsync(Components.PaymentStore, key, confirmed with { Phase = PaymentPhase.Refunding }, etag));

        Assert.Equal(HttpStatusCode.OK, await _app.TriggerAsync(Components.OutboxSweep));

        Assert.Equal(PaymentStatus.Refunded, (await _app.PaymentAsync("o-1"))!.Status);
        Assert.Equal(50.00m, await _app.CreditAsync("bob"));
        Assert.Single(_app.Published<PaymentRefunded>());
        Assert.Empty(await index.ListAsync());
    }

    [Fact]
    public async Task ARefundIsListedAgainAndTheSweepLetsItGoOnlyOnceSettled()
    {
        await _app.PublishAsync(Reserved("o-1", "bob", 30.00m, autoConfirm: true));
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint(_app.Sidecar.GrpcEndpoint.ToString())
            .UseJsonSerializationOptions(ServiceDefaultsExtensions.JsonOptions).Build();
        var index = new UnsettledPayments(dapr, Components.PaymentStore);
        var listedWhileOpen = await index.ListAsync();

        await _app.PublishAsync(Cancelled("o-1"));

        Assert.Equal(PaymentStatus.Refunded, (await _app.PaymentAsync("o-1"))!.Status);
        // Settling left the entry to the sweep; the refund entered it again for its own phase.
        Assert.Equal([new UnsettledEntry("o-1", PaymentPhase.Refunding)], await index.ListAsync());
        // A pass that listed it before the refund cannot take out the refund's entry.
        await index.RemoveAsync(index.ShardOf("o-1"), listedWhileOpen.ToList());
        Assert.Equal([new UnsettledEntry("o-1", PaymentPhase.Refunding)], await index.ListAsync());
        Assert.Equal(HttpStatusCode.OK, await _app.TriggerAsync(Components.PaymentExpiry));
        Assert.Empty(await index.ListAsync());
    }

    [Fact]
    public async Task ACustomerIsCreatedWithAGeneratedIdAndALocation()
    {
        using var created = await _app.Http.PostAsJsonAsync("/customers", new { name = "Dora", credit = 12.50m });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var customer = await created.Content.ReadFromJsonAsync<Customers.CustomerView>(ServiceDefaultsExtensions.JsonOptions);
        Assert.Equal(("Dora", 12.50m), (customer!.Name, customer.Credit));
        Assert.Equal($"/customers/{customer.CustomerId}", created.Headers.Location!.ToString());
        Assert.Equal(12.50m, await _app.CreditAsync(customer.CustomerId));
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
        var before = _app.Testbed.StateStore(Components.PaymentStore).Snapshot();

        using var response = await _app.Http.PostAsync("/customers", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
        Assert.Equal(before.Keys.Order(), _app.Testbed.StateStore(Components.PaymentStore).Snapshot().Keys.Order());
    }

    [Theory]
    [InlineData("/payments/has.dot/confirm", "orderId")]
    [InlineData("/payments/has.dot/cancel", "orderId")]
    public async Task ABadOrderIdIsA400NamingIt(string path, string field)
    {
        using var response = await _app.PostAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }
}
