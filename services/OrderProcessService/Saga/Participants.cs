using System.Net;
using System.Text.Json;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.OrderProcessService.Saga;

/// <summary>
/// The participants' commands, called through Dapr service invocation
/// (`daprClient.CreateInvokableHttpClient(appId)`, the instance method that honours this app's
/// configured sidecar endpoint and token). Answers become step results: 2xx Done, 409 Refused
/// with the ProblemDetails `reason`, anything else (5xx, timeout, sidecar error) Transient.
/// </summary>
public sealed class Participants(DaprClient dapr)
{
    private readonly HttpClient _orders = dapr.CreateInvokableHttpClient(AppIds.OrderService);
    private readonly HttpClient _inventory = dapr.CreateInvokableHttpClient(AppIds.InventoryService);
    private readonly HttpClient _payments = dapr.CreateInvokableHttpClient(AppIds.PaymentService);
    private readonly HttpClient _deliveries = dapr.CreateInvokableHttpClient(AppIds.DeliveryService);

    private static readonly object NoBody = new { };

    public Task<StepResult> CreateOrderAsync(SagaRequest r, CancellationToken ct) =>
        // engine: which engine drives the order, for order-service to keep (ignored until it does).
        SendAsync(_orders, HttpMethod.Put, $"/orders/{r.OrderId}", new { r.CustomerId, r.Items, r.DeliveryZone, r.Engine }, ct);

    public Task<StepResult> ReserveStockAsync(SagaRequest r, CancellationToken ct) =>
        // customerId and amount ride along so inventory's stock-reserved fact is complete.
        SendAsync(_inventory, HttpMethod.Post, $"/reservations/{r.OrderId}", new { r.Items, Flow = SagaFlow.Orchestration, r.CustomerId, Amount = r.Total }, ct);

    public Task<StepResult> CreatePaymentAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_payments, HttpMethod.Post, $"/payments/{r.OrderId}", new { r.CustomerId, Amount = r.Total, Flow = SagaFlow.Orchestration }, ct);

    public Task<StepResult> ConfirmPaymentAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_payments, HttpMethod.Post, $"/payments/{r.OrderId}/confirm", NoBody, ct);

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
                "Confirmed" => StepResult.Done,
                "Cancelled" or "Refunded" => StepResult.Refused(payment.Reason ?? CancellationReason.PaymentCancelled),
                _ => StepResult.Waiting,
            };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return StepResult.Transient(e.Message);
        }
    }

    public Task<StepResult> ConfirmOrderAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_orders, HttpMethod.Post, $"/orders/{r.OrderId}/confirm", NoBody, ct);

    public Task<StepResult> ScheduleDeliveryAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_deliveries, HttpMethod.Post, $"/deliveries/{r.OrderId}", new { Zone = r.DeliveryZone, Flow = SagaFlow.Orchestration }, ct);

    /// <summary>Past the pivot: commit the stock, then complete the order.</summary>
    public async Task<StepResult> CompleteOrderAsync(SagaRequest r, CancellationToken ct)
    {
        var commit = await SendAsync(_inventory, HttpMethod.Post, $"/reservations/{r.OrderId}/commit", NoBody, ct);
        return commit.Outcome == StepOutcome.Done
            ? await SendAsync(_orders, HttpMethod.Post, $"/orders/{r.OrderId}/complete", NoBody, ct)
            : commit;
    }

    public Task<StepResult> CancelDeliveryAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_deliveries, HttpMethod.Post, $"/deliveries/{r.OrderId}/cancel", new { r.Reason }, ct);

    public Task<StepResult> VoidPaymentAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_payments, HttpMethod.Post, $"/payments/{r.OrderId}/void", new { r.Reason }, ct);

    public Task<StepResult> ReleaseStockAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_inventory, HttpMethod.Post, $"/reservations/{r.OrderId}/release", NoBody, ct);

    public Task<StepResult> CancelOrderAsync(SagaRequest r, CancellationToken ct) =>
        SendAsync(_orders, HttpMethod.Post, $"/orders/{r.OrderId}/cancel", new { Reason = r.Reason ?? CancellationReason.CustomerCancelled }, ct);

    private static async Task<StepResult> SendAsync(HttpClient client, HttpMethod method, string path, object body, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative))
            {
                Content = JsonContent.Create(body, options: ServiceDefaultsExtensions.JsonOptions),
            };
            using var response = await client.SendAsync(request, ct);
            if (response.IsSuccessStatusCode) return StepResult.Done;
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                var problem = await response.Content.ReadFromJsonAsync<RefusalView>(ServiceDefaultsExtensions.JsonOptions, ct);
                if (problem?.Reason is { } reason) return StepResult.Refused(reason);
            }
            return StepResult.Transient($"{method} {path} answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return StepResult.Transient(e.Message);
        }
    }

    private sealed record PaymentView(string Status, CancellationReason? Reason);

    private sealed record RefusalView(CancellationReason? Reason);
}
