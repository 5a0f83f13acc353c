
namespace DaprSaga.Scenarios.Tests.Storm;

/// <summary>
/// HTTP calls from the storm to the services. An injected sidecar error reaches the caller as a
/// 5xx; every call made here is idempotent (a read, a command keyed by order id, or a POST with
/// an Idempotency-Key), so a 5xx is answered by repeating the call.
/// </summary>
public sealed class Retrying
{
    private const int Attempts = 10;
    private long _repeated;

    /// <summary>How many calls were repeated after a 5xx.</summary>
    public long Repeated => Interlocked.Read(ref _repeated);

    public async Task<HttpResponseMessage> SendAsync(ServiceUnderTest service, Func<HttpRequestMessage> request)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await service.Http.SendAsync(request());
            if ((int)response.StatusCode < 500 || attempt == Attempts) return response;
            response.Dispose();
            Interlocked.Increment(ref _repeated);
        }
    }

    public Task<HttpResponseMessage> PostAsync(ServiceUnderTest service, string path, object? body = null, string? idempotencyKey = null) =>
        SendAsync(service, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
            if (body is not null) request.Content = JsonContent.Create(body);
            if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
            return request;
        });

    /// <summary>The resource, or null when it does not exist (404).</summary>
    public async Task<T?> GetAsync<T>(ServiceUnderTest service, string path) where T : JsonNode
    {
        using var response = await SendAsync(service, () => new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative)));
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Assert.True(response.IsSuccessStatusCode, $"GET {service.AppId}{path} answered {(int)response.StatusCode}");
        return (T?)await response.Content.ReadFromJsonAsync<JsonNode>();
    }

    public async Task<T> GetExistingAsync<T>(ServiceUnderTest service, string path) where T : JsonNode =>
        await GetAsync<T>(service, path) ?? throw new InvalidOperationException($"GET {service.AppId}{path} answered 404");
}
