using DaprSaga.OrderProcessService.Saga;
using DaprSaga.OrderProcessService.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>The workflow's one activity, calling the stub participants through real service invocation.</summary>
public sealed class SagaStepActivityTests
{
    private static readonly SagaRequest Request =
        new("o-1", "alice", [new OrderLine("widget", 2, 10m)], "north", AutoConfirmPayment: true, Engine: SagaEngine.Workflow);

    private static Task<StepResult> RunAsync(OrchestratorApp app, string step, bool compensate = false, SagaRequest? request = null) =>
        new SagaStepActivity(app.Services.GetRequiredService<Participants>())
            .RunAsync(null!, new SagaStepCall(step, compensate, request ?? Request));

    [Fact]
    public async Task WorkflowActivityRunsAStepByNameAndReturnsARefusalAsAValue()
    {
        await using var app = await OrchestratorApp.StartAsync();
        app.Participants[AppIds.InventoryService].Answer = _ =>
            Task.FromResult(ParticipantStub.Json(HttpStatusCode.Conflict, new { reason = CancellationReason.OutOfStock }));

        Assert.Equal(StepResult.Done, await RunAsync(app, "CreateOrder"));
        Assert.Equal(StepResult.Refused(CancellationReason.OutOfStock), await RunAsync(app, "ReserveStock"));
        Assert.Equal(["PUT /orders/o-1"], app.Participants[AppIds.OrderService].Calls);
        // order-service is told which engine drives the order.
        Assert.Equal("Workflow", (string?)JsonNode.Parse(app.Participants[AppIds.OrderService].Bodies["PUT /orders/o-1"])!["engine"]);
        Assert.Equal(["POST /reservations/o-1"], app.Participants[AppIds.InventoryService].Calls);
    }

    [Fact]
    public async Task WorkflowActivityThrowsOnTransientTroubleSoTheRetryPolicyRetriesIt()
    {
        await using var app = await OrchestratorApp.StartAsync();
        app.Participants[AppIds.PaymentService].Answer = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));

        var thrown = await Assert.ThrowsAsync<ParticipantUnavailableException>(() => RunAsync(app, "CreatePayment"));

        Assert.Contains(AppIds.PaymentService, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkflowActivityRunsACompensationAndTreatsAStepWithoutOneAsDone()
    {
        await using var app = await OrchestratorApp.StartAsync();

        Assert.Equal(StepResult.Done, await RunAsync(app, "CreateOrder", compensate: true, Request with { Reason = CancellationReason.OutOfStock }));
        Assert.Equal(StepResult.Done, await RunAsync(app, "CompleteOrder", compensate: true));

        Assert.Equal(["POST /orders/o-1/cancel"], app.Participants[AppIds.OrderService].Calls);
    }
}
