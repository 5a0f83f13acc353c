using System.Net;
using System.Text.Json;
using Dapr.Client;

namespace DaprSaga.OrderProcessService.Saga;

/// <summary>
/// The participants' commands through Dapr service invocation (`CreateInvokableHttpClient`, which
/// honours this app's sidecar endpoint and token). 2xx is Done, 409 Refused with its `reason`,
/// anything else (5xx, timeout, sidecar error) Transient.
/// </summary>
public sealed class Participants(DaprClient dapr)
{
    private readonly HttpClient _orders = dapr.CreateInvokableHttpClient(AppIds.OrderService);
    private readonly HttpClient _inventory = dapr.CreateInvokableHttpClient(AppIds.InventoryService);
    private readonly HttpClient _payments = dapr.CreateInvokableHttpClient(AppIds.PaymentService);
    private readonly HttpClient _deliveries = dapr.CreateInvokableHttpClient(AppIds.DeliveryService);

    public Task<StepResult> CreateOrderAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_orders, HttpMethod.Put, $"/orders/{r.OrderId}", new CreateOrder(r.CustomerId, LinesOf(r), r.DeliveryZone, r.Engine), ct);

    // customerId and amount ride along so inventory's stock-reserved fact is complete.
    public Task<StepResult> ReserveStockAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_inventory, HttpMethod.Post, $"/reservations/{r.OrderId}", new ReserveStock(LinesOf(r), SagaFlow.Orchestration, r.CustomerId, r.Total), ct);

    /// <summary>Pre-authorised, the create debits or refuses; one answered Pending (a payment-service without it) is confirmed here.</summary>
    public async Task<StepResult> CreatePaymentAsync(SagaRequest r, CancellationToken ct)
    {
        var path = $"/payments/{r.OrderId}";
        var body = new CreatePayment(r.CustomerId, r.Total, SagaFlow.Orchestration, r.PaymentPreauthorised);
        if (!r.PaymentPreauthorised) return await SendAsync(_payments, HttpMethod.Post, path, body, ct);
        PaymentAnswer? answer = null;
        var created = await SendAsync(_payments, HttpMethod.Post, path, body, ct,
            async response => answer = await response.Content.ReadFromJsonAsync<PaymentAnswer>(ServiceDefaultsExtensions.JsonOptions, ct));
        return created.Outcome != StepOutcome.Done ? created : answer?.Status switch
        {
            PaymentStatus.Pending => await ConfirmPaymentAsync(r, ct),
            PaymentStatus.Cancelled or PaymentStatus.Refunded => StepResult.Refused(answer.Reason ?? CancellationReason.PaymentCancelled),
            _ => created,
        };
    }

    public Task<StepResult> ConfirmPaymentAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_payments, HttpMethod.Post, $"/payments/{r.OrderId}/confirm", null, ct);

    /// <summary>The customer confirms or cancels; the payment's own state says which, and when it expired.</summary>
    public async Task<StepResult> AwaitPaymentAsync(SagaRequest r, CancellationToken ct)
    {
        try
        {
            using var response = await _payments.GetAsync(new Uri($"/payments/{r.OrderId}", UriKind.Relative), ct);
            if (!response.IsSuccessStatusCode) return StepResult.Transient($"GET payment answered {(int)response.StatusCode}");
            var payment = await response.Content.ReadFromJsonAsync<PaymentView>(ServiceDefaultsExtensions.JsonOptions, ct);
            return payment?.Status switch
            {
                PaymentStatus.Confirmed => StepResult.Done,
                PaymentStatus.Cancelled or PaymentStatus.Refunded => StepResult.Refused(payment.Reason ?? CancellationReason.PaymentCancelled),
                _ => StepResult.Waiting,
            };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return StepResult.Transient(e.Message);
        }
    }

    public Task<StepResult> ConfirmOrderAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_orders, HttpMethod.Post, $"/orders/{r.OrderId}/confirm", null, ct);

    public Task<StepResult> ScheduleDeliveryAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_deliveries, HttpMethod.Post, $"/deliveries/{r.OrderId}", new ScheduleDelivery(r.DeliveryZone, SagaFlow.Orchestration), ct);

    /// <summary>Past the pivot: commit the stock, then complete the order.</summary>
    public async Task<StepResult> CompleteOrderAsync(SagaRequest r, CancellationToken ct)
    {
        var commit = await SendAsync(_inventory, HttpMethod.Post, $"/reservations/{r.OrderId}/commit", null, ct);
        return commit.Outcome == StepOutcome.Done
            ? await SendAsync(_orders, HttpMethod.Post, $"/orders/{r.OrderId}/complete", null, ct)
            : commit;
    }

    public Task<StepResult> CancelDeliveryAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_deliveries, HttpMethod.Post, $"/deliveries/{r.OrderId}/cancel", new CancelDelivery(r.Reason), ct);

    public Task<StepResult> VoidPaymentAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_payments, HttpMethod.Post, $"/payments/{r.OrderId}/void", new VoidPayment(r.Reason), ct);

    public Task<StepResult> ReleaseStockAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_inventory, HttpMethod.Post, $"/reservations/{r.OrderId}/release", null, ct);

    public Task<StepResult> CancelOrderAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_orders, HttpMethod.Post, $"/orders/{r.OrderId}/cancel", new CancelOrder(r.Reason ?? CancellationReason.CustomerCancelled), ct);

    private static List<OrderLineInput?> LinesOf(SagaRequest r) =>
        r.Items.Select(i => (OrderLineInput?)new OrderLineInput(i.ProductId, i.Quantity, i.UnitPrice)).ToList();

    private static async Task<StepResult> SendAsync(
        HttpClient client, HttpMethod method, string path, object? body, CancellationToken ct, Func<HttpResponseMessage, Task>? readAnswer = null)
    {
        try
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            if (body is not null) request.Content = JsonContent.Create(body, options: ServiceDefaultsExtensions.JsonOptions);
            using var response = await client.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                if (readAnswer is not null) await readAnswer(response);
                return StepResult.Done;
            }
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                var refusal = await response.Content.ReadFromJsonAsync<CommandRefusal>(ServiceDefaultsExtensions.JsonOptions, ct);
                if (refusal?.Reason is { } reason) return StepResult.Refused(reason);
            }
            return StepResult.Transient($"{method} {path} answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return StepResult.Transient(e.Message);
        }
    }

    private sealed record PaymentAnswer(PaymentStatus? Status = null, CancellationReason? Reason = null);
}
