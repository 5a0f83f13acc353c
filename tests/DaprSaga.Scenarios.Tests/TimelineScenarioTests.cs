using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DaprSaga.Contracts;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// GET /orders/{id}/timeline built from the events the real participants publish, for both
/// flows. The shared clock ticks 1 ms on every read, so each step has its own instant and the
/// timeline's order is the order things happened in, as with a real clock.
/// </summary>
public sealed class TimelineScenarioTests : IAsyncLifetime
{
    private SagaCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SagaCluster.StartAsync();
        _cluster.Clock.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private async Task<JsonObject> TimelineAsync(string id)
    {
        using var response = await _cluster.Order.Http.GetAsync(new Uri($"/orders/{id}/timeline", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static List<string> StepsOf(JsonObject timeline) =>
        timeline["steps"]!.AsArray()
            .Select(s => $"{s!["service"]} {s["action"]} {s["outcome"]}{((bool)s["compensation"]! ? " compensation" : "")}")
            .ToList();

    private static JsonNode Step(JsonObject timeline, string action) =>
        timeline["steps"]!.AsArray().Single(s => (string?)s!["action"] == action)!;

    [Fact]
    public async Task AHappyChoreographyShowsEveryServicesStepInTheOrderTheyHappened()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 2, 10.00m));
        await _cluster.QuiesceAsync();
        using var confirm = await _cluster.Payment.Http.PostAsync(new Uri($"/payments/{id}/confirm", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        await _cluster.QuiesceAsync();

        var timeline = await TimelineAsync(id);
        Assert.Equal((id, "Choreography", "Completed"), ((string?)timeline["orderId"], (string?)timeline["flow"], (string?)timeline["status"]));
        Assert.Equal(
            [AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService],
            timeline["services"]!.AsArray().Select(s => (string?)s));
        Assert.Equal(
        [
            "order-service order-placed Published",
            "inventory-service stock-reserved Recorded",
            "payment-service payment-requested Applied",
            "payment-service payment-confirmed Applied",
            "order-service order-confirmed Published",
            "delivery-service delivery-scheduled Applied",
            "order-service order-completed Published",
            "inventory-service stock-committed Recorded",
        ], StepsOf(timeline));
        Assert.Equal("customer", (string?)Step(timeline, Topics.OrderPlaced)["requestedBy"]);
        Assert.Equal(20.00m, (decimal)Step(timeline, Topics.PaymentConfirmed)["detail"]!["amount"]!);
        Assert.StartsWith("c-north", (string?)Step(timeline, Topics.DeliveryScheduled)["detail"]!["courierId"], StringComparison.Ordinal);
        var times = timeline["steps"]!.AsArray().Select(s => DateTimeOffset.Parse((string)s!["at"]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public async Task TheHistoryKeepsWhoPublishedEachEventWhenAndWhatItSaid()
    {
        var id = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 1, 10.00m));
        await _cluster.QuiesceAsync();

        var history = (await _cluster.OrderAsync(id))["history"]!.AsArray();
        var scheduled = history.Single(h => (string?)h!["trigger"] == Topics.DeliveryScheduled)!;
        Assert.Equal((AppIds.DeliveryService, true), ((string?)scheduled["publisher"], (bool)scheduled["applied"]!));
        Assert.NotNull((string?)scheduled["detail"]!["courierId"]);
        var delivery = await _cluster.DeliveryAsync(id);
        Assert.Equal((string?)delivery["courierId"], (string?)scheduled["detail"]!["courierId"]);
        Assert.True(DateTimeOffset.Parse((string)scheduled["occurredAt"]!, System.Globalization.CultureInfo.InvariantCulture)
            <= DateTimeOffset.Parse((string)scheduled["at"]!, System.Globalization.CultureInfo.InvariantCulture));
        var reserved = history.Single(h => (string?)h!["trigger"] == Topics.StockReserved)!;
        Assert.Equal(("inventory-service", false, 10.00m), ((string?)reserved["publisher"], (bool)reserved["applied"]!, (decimal)reserved["detail"]!["amount"]!));
    }

    [Fact]
    public async Task AFailedChoreographyShowsTheCancellationAndEveryCompensationAfterIt()
    {
        // Zone west has no courier: the order is cancelled after payment, so stock and payment are undone.
        var id = await _cluster.PlaceOrderAsync("alice", "west", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await _cluster.QuiesceAsync();

        var timeline = await TimelineAsync(id);
        Assert.Equal(("Cancelled", "NoCourierAvailable"), ((string?)timeline["status"], (string?)timeline["cancellationReason"]));
        var steps = StepsOf(timeline);
        Assert.Equal(
        [
            "order-service order-placed Published",
            "inventory-service stock-reserved Recorded",
            "payment-service payment-requested Applied",
            "payment-service payment-confirmed Applied",
            "order-service order-confirmed Published",
            "delivery-service delivery-failed Applied",
            "order-service order-cancelled Published compensation",
        ], steps[..7]);
        // Inventory and payment compensate side by side, each on order-cancelled.
        Assert.Equal(
            ["inventory-service stock-released Recorded compensation", "payment-service payment-refunded Recorded compensation"],
            steps[7..].Order(StringComparer.Ordinal));
        Assert.Equal("NoCourierAvailable", (string?)Step(timeline, Topics.DeliveryFailed)["detail"]!["reason"]);
        Assert.Equal("NoCourierAvailable", (string?)Step(timeline, Topics.OrderCancelled)["detail"]!["reason"]);
        Assert.Equal(20.00m, (decimal)Step(timeline, Topics.PaymentRefunded)["detail"]!["amount"]!);
    }

    [Fact]
    public async Task AFailedPaymentIsNoCompensationButTheVoidOfAPendingPaymentIs()
    {
        var refused = await _cluster.PlaceOrderAsync("bob", "north", autoConfirmPayment: true, ("gizmo", 1, 99.00m));
        var voided = await _cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await _cluster.QuiesceAsync();
        using var cancel = await _cluster.Order.Http.PostAsync(new Uri($"/orders/{voided}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await _cluster.QuiesceAsync();

        var refusal = Step(await TimelineAsync(refused), Topics.PaymentCancelled);
        Assert.Equal(("InsufficientCredit", false), ((string?)refusal["detail"]!["reason"], (bool)refusal["compensation"]!));
        var timeline = await TimelineAsync(voided);
        var voidStep = Step(timeline, Topics.PaymentCancelled);
        Assert.Equal(("CustomerCancelled", true), ((string?)voidStep["detail"]!["reason"], (bool)voidStep["compensation"]!));
        Assert.Equal("customer", (string?)Step(timeline, Topics.OrderCancelled)["requestedBy"]);
    }

    [Fact]
    public async Task AHappyOrchestrationShowsTheParticipantsFactsAndTheOrchestratorsCommands()
    {
        var id = await _cluster.StartProcessAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await _cluster.SettleProcessAsync(id);

        var timeline = await TimelineAsync(id);
        Assert.Equal(("Orchestration", "Completed"), ((string?)timeline["flow"], (string?)timeline["status"]));
        Assert.Equal(
            [AppIds.OrderProcessService, AppIds.OrderService, "inventory-service", AppIds.PaymentService, AppIds.DeliveryService],
            timeline["services"]!.AsArray().Select(s => (string?)s));
        Assert.Equal(
        [
            "order-service order-placed Published",
            "inventory-service stock-reserved Recorded",
            "payment-service payment-requested Recorded",
            "payment-service payment-confirmed Recorded",
            "order-service order-confirmed Published",
            "delivery-service delivery-scheduled Recorded",
            "inventory-service stock-committed Recorded",
            "order-service order-completed Published",
        ], StepsOf(timeline));
        Assert.All(
            timeline["steps"]!.AsArray().Where(s => (string?)s!["service"] == AppIds.OrderService),
            s => Assert.Equal(AppIds.OrderProcessService, (string?)s!["requestedBy"]));
    }

    [Fact]
    public async Task AFailedOrchestrationShowsItsCompensationsInReverseThenTheCancellation()
    {
        var id = await _cluster.StartProcessAsync("alice", "west", autoConfirmPayment: true, ("widget", 2, 10.00m));
        await _cluster.SettleProcessAsync(id);

        var steps = StepsOf(await TimelineAsync(id));
        Assert.Equal(
        [
            "delivery-service delivery-failed Recorded",
            "payment-service payment-refunded Recorded compensation",
            "inventory-service stock-released Recorded compensation",
            "order-service order-cancelled Published compensation",
        ], steps[^4..]);
    }

    [Fact]
    public async Task AnUnknownOrderHasNoTimelineAndAMalformedIdIsRefused()
    {
        Assert.Equal(HttpStatusCode.NotFound, await SagaCluster.StatusOfAsync(_cluster.Order, "/orders/no-such-order/timeline"));
        Assert.Equal(HttpStatusCode.BadRequest, await SagaCluster.StatusOfAsync(_cluster.Order, "/orders/bad%20id/timeline"));
    }
}
