using DaprSaga.OrderService.Orders;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.OrderService.Tests;

/// <summary>
/// order-service on the shared <see cref="ServiceHost{TEntryPoint}"/>, with a seeded fault plan a
/// test may arm, and the requests its customers and the orchestrator send.
/// </summary>
public sealed class OrderServiceHost : ServiceHost<Order>
{
    private OrderServiceHost()
        : base(AppIds.OrderService, new ServiceHostOptions { Faults = new FaultPlan(seed: 1) })
    {
    }

    public static Task<OrderServiceHost> StartAsync() => LaunchAsync(new OrderServiceHost());

    public IReadOnlyList<JsonElement> PublishedData(string topic) =>
        Published(topic).Select(e => JsonSerializer.SerializeToElement(e.Envelope["data"])).ToList();

    public static object HappyOrder(string customerId = "alice", string zone = "north") => new
    {
        customerId,
        items = new[] { new { productId = "widget", quantity = 2, unitPrice = 10.00m } },
        deliveryZone = zone,
    };

    public async Task<OrderAccepted> PlaceAsync(object? body = null)
    {
        using var response = await Http.PostAsJsonAsync("/orders", body ?? HappyOrder());
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<OrderAccepted>(ServiceDefaultsExtensions.JsonOptions))!;
    }

    public async Task<OrderView> GetAsync(string orderId) => (await GetAsync<OrderView>($"/orders/{orderId}"))!;

    public Task<HttpResponseMessage> CancelAsync(string orderId) => PostAsync($"/orders/{orderId}/cancel");

    /// <summary>
    /// Sends a participant command as order-process-service's Participants does: camelCase JSON
    /// (`{}` when it has nothing to say), with the dapr-caller-app-id its sidecar sets (null: none).
    /// </summary>
    public Task<HttpResponseMessage> CommandAsync(
        HttpMethod method, string path, object? body = null, string? caller = AppIds.OrderProcessService) =>
        SendJsonAsync(method, path, body, caller);

    /// <summary>PUT /orders/{id}: creates the order as the orchestrator's first step.</summary>
    public Task<HttpResponseMessage> CreateOrchestratedAsync(string orderId, object? body = null, string? caller = AppIds.OrderProcessService) =>
        CommandAsync(HttpMethod.Put, $"/orders/{orderId}", body ?? HappyOrder(), caller);

    /// <summary>The orchestrator's cancel {reason}, its compensation.</summary>
    public Task<HttpResponseMessage> CompensateAsync(string orderId, CancellationReason reason, string? caller = AppIds.OrderProcessService) =>
        CommandAsync(HttpMethod.Post, $"/orders/{orderId}/cancel", new { reason }, caller);
}
