using DaprSaga.OrderProcessService.Saga;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>
/// An auto-confirm order's payment is created pre-authorised: CreatePayment's answer settles it, and
/// ConfirmPayment costs no call. A manual-confirm order's payment is created Pending as ever.
/// </summary>
public sealed class PreauthorisedPaymentTests
{
    private static SagaRequest Request(string orderId, bool preauthorised) =>
        new(orderId, "alice", [new OrderLine("widget", 2, 10m)], "north", AutoConfirmPayment: true, PaymentPreauthorised: preauthorised);

    private static string? PreauthorisedSent(ParticipantStub payments, string orderId) =>
        JsonNode.Parse(payments.Bodies[$"POST /payments/{orderId}"])!["preauthorised"]?.ToJsonString();

    [Fact]
    public async Task AnAutoConfirmSagaCreatesItsPaymentPreauthorisedAndNeverCallsConfirm()
    {
        await using var app = await OrchestratorApp.StartAsync();
        var payments = app.Participants[AppIds.PaymentService];
        payments.Answer = call => call.StartsWith("POST /payments/", StringComparison.Ordinal)
            ? Task.FromResult(ParticipantStub.Json(HttpStatusCode.OK, new PaymentView("o", "alice", 20.00m, PaymentStatus.Confirmed, null, null)))
            : null;

        var id = await app.StartProcessAsync(autoConfirmPayment: true);
        await OrchestratorApp.UntilAsync(() => app.Stored(id) is { Status: ProcessStatus.Completed }, "the process completed");

        Assert.Equal([$"POST /payments/{id}"], payments.Calls);
        Assert.Equal("true", PreauthorisedSent(payments, id));
        Assert.Equal(["CreateOrder", "ReserveStock", "CreatePayment", "ConfirmOrder", "ScheduleDelivery", "CompleteOrder"],
            app.Stored(id)!.Steps.Select(s => s.Name));
    }

    [Fact]
    public async Task AnAutoConfirmSagaRefusedForCreditAtCreatePaymentCompensatesWithThatReason()
    {
        await using var app = await OrchestratorApp.StartAsync();
        var payments = app.Participants[AppIds.PaymentService];
        payments.Answer = call => call.EndsWith("/void", StringComparison.Ordinal) ? null
            : Task.FromResult(ParticipantStub.Json(HttpStatusCode.Conflict, new { reason = CancellationReason.InsufficientCredit }));

        var id = await app.StartProcessAsync(autoConfirmPayment: true);
        await OrchestratorApp.UntilAsync(() => app.Stored(id) is { Status: ProcessStatus.Cancelled }, "the process was cancelled");

        var process = app.Stored(id)!;
        Assert.Equal(CancellationReason.InsufficientCredit, process.CancellationReason);
        Assert.Equal(StepLog.Refused("CreatePayment", CancellationReason.InsufficientCredit, process.Steps[^1].At), process.Steps[^1]);
        Assert.Equal([$"POST /payments/{id}", $"POST /payments/{id}/void"], payments.Calls);
        Assert.Contains($"POST /reservations/{id}/release", app.Participants[AppIds.InventoryService].Calls);
        Assert.Contains($"POST /orders/{id}/cancel", app.Participants[AppIds.OrderService].Calls);
    }

    [Fact]
    public async Task AManualConfirmSagaCreatesItsPaymentPendingAndWaitsForTheCustomer()
    {
        await using var app = await OrchestratorApp.StartAsync();
        var payments = app.Participants[AppIds.PaymentService];
        payments.Answer = call => call.StartsWith("GET /payments/", StringComparison.Ordinal)
            ? Task.FromResult(ParticipantStub.Json(HttpStatusCode.OK, new PaymentView("o", "alice", 20.00m, PaymentStatus.Pending, null, null)))
            : null;

        var id = await app.StartProcessAsync(autoConfirmPayment: false);
        await OrchestratorApp.UntilAsync(() => app.Stored(id) is { Status: ProcessStatus.WaitingForPayment, LeaseOwner: null }, "the process waits");

        Assert.Equal("false", PreauthorisedSent(payments, id));
        Assert.Equal([$"POST /payments/{id}", $"GET /payments/{id}"], payments.Calls);
        Assert.Equal("ConfirmPayment", app.Stored(id)!.CurrentStepName);
    }

    [Theory]
    // A payment-service that did not pre-authorise answers Pending: the orchestrator confirms it as the customer would.
    [InlineData(PaymentStatus.Pending, "Done", true)]
    [InlineData(PaymentStatus.Confirmed, "Done", false)]
    // A payment voided before it was created answers 200 with the tombstone: a refusal with its reason.
    [InlineData(PaymentStatus.Cancelled, "Refused", false)]
    public async Task APreauthorisedCreateActsOnThePaymentItsAnswerStates(PaymentStatus answered, string outcome, bool confirms)
    {
        await using var app = await OrchestratorApp.StartAsync();
        var payments = app.Participants[AppIds.PaymentService];
        var reason = answered == PaymentStatus.Cancelled ? CancellationReason.OutOfStock : (CancellationReason?)null;
        payments.Answer = call => call == "POST /payments/o-1"
            ? Task.FromResult(ParticipantStub.Json(HttpStatusCode.OK, new PaymentView("o-1", "alice", 20.00m, answered, reason, null)))
            : null;

        var result = await app.Services.GetRequiredService<Participants>().CreatePaymentAsync(Request("o-1", preauthorised: true), CancellationToken.None);

        Assert.Equal((outcome, reason), (result.Outcome.ToString(), result.Reason));
        Assert.Equal(confirms, payments.Calls.Contains("POST /payments/o-1/confirm"));
    }

    [Fact]
    public async Task AnAutoConfirmInstanceStoredWithoutPreauthorisationCreatesAPendingPaymentAndConfirmsIt()
    {
        await using var app = await OrchestratorApp.StartAsync();
        var participants = app.Services.GetRequiredService<Participants>();
        var stored = Request("o-1", preauthorised: false);
        var payments = app.Participants[AppIds.PaymentService];

        Assert.Equal(StepResult.Done, await participants.CreatePaymentAsync(stored, CancellationToken.None));
        Assert.Equal(StepResult.Done, await OrderSaga.Steps[3].Action(participants, stored, CancellationToken.None));

        Assert.Equal("false", PreauthorisedSent(payments, "o-1"));
        Assert.Equal(["POST /payments/o-1", "POST /payments/o-1/confirm"], payments.Calls);
    }
}
