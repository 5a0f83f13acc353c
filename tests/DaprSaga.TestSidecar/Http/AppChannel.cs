using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DaprSaga.TestSidecar.PubSub;

namespace DaprSaga.TestSidecar.Http;

/// <summary>How daprd talks to its app over HTTP (dapr `pkg/channel/http/http_channel.go`).</summary>
internal sealed class AppChannel(HttpClient client, string? appApiToken)
{
    private static readonly MediaTypeHeaderValue CloudEventsJson = new("application/cloudevents+json");

    public HttpClient Client => client;

    /// <summary>
    /// GET /dapr/subscribe (dapr `pkg/runtime/pubsub/subscriptions.go` GetSubscriptionsHTTP):
    /// 404 means "no subscriptions"; failures are retried 3 times.
    /// </summary>
    public async Task<IReadOnlyList<Subscription>> ReadSubscriptionsAsync(CancellationToken token)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using var request = NewRequest(HttpMethod.Get, "/dapr/subscribe");
                using var response = await client.SendAsync(request, token);
                if (response.StatusCode == HttpStatusCode.NotFound) return [];
                response.EnsureSuccessStatusCode();
                return Subscription.ParseList(await response.Content.ReadAsStringAsync(token));
            }
            catch (HttpRequestException e)
            {
                last = e;
            }
        }
        throw new InvalidOperationException("the app did not answer GET /dapr/subscribe", last);
    }

    /// <summary>The start-up probe: only 2xx or 405 enables an input binding (binding/send.go).</summary>
    public async Task<bool> ProbeBindingAsync(string name, CancellationToken token)
    {
        try
        {
            using var request = NewRequest(HttpMethod.Options, "/" + name);
            request.Content = new StringContent("", MediaTypeHeaderValue.Parse("application/json"));
            using var response = await client.SendAsync(request, token);
            return response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.MethodNotAllowed;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public async Task<HttpStatusCode> SendBindingAsync(string name, CancellationToken token)
    {
        using var request = NewRequest(HttpMethod.Post, "/" + name);
        // Body = the binding's data (cron sends none), always Content-Type application/json (send.go).
        request.Content = new StringContent("", MediaTypeHeaderValue.Parse("application/json"));
        using var response = await client.SendAsync(request, token);
        return response.StatusCode;
    }

    /// <summary>
    /// POSTs a CloudEvent and reads the answer as dapr `pkg/runtime/subscription/postman/http/http.go`
    /// does: 2xx with a body that does not decode as {"status": string} is success; "" and
    /// "SUCCESS" ack, "RETRY" retries, "DROP" drops, any other status retries; 404 drops; every
    /// other status, and any error of the call itself (a timeout, a reset, an in-memory app that aborts) retries.
    /// </summary>
    public async Task<DeliveryOutcome> DeliverAsync(string path, CloudEvent cloudEvent, CancellationToken token)
    {
        try
        {
            using var request = NewRequest(HttpMethod.Post, path);
            request.Content = new ByteArrayContent(cloudEvent.Body);
            request.Content.Headers.ContentType = CloudEventsJson;
            if (cloudEvent.TraceParent is { Length: > 0 } tp) request.Headers.TryAddWithoutValidation("traceparent", tp);
            if (cloudEvent.TraceState is { Length: > 0 } ts) request.Headers.TryAddWithoutValidation("tracestate", ts);
            request.Headers.TryAddWithoutValidation("pubsubname", cloudEvent.PubsubName);
            using var response = await client.SendAsync(request, token);
            if (response.StatusCode == HttpStatusCode.NotFound) return DeliveryOutcome.Drop;
            if (!response.IsSuccessStatusCode) return DeliveryOutcome.Retry;
            return StatusOf(await response.Content.ReadAsByteArrayAsync(token)) switch
            {
                "" or "SUCCESS" => DeliveryOutcome.Success,
                "DROP" => DeliveryOutcome.Drop,
                _ => DeliveryOutcome.Retry,
            };
        }
        // Deliver: `err != nil` from the app channel is retriable; only the sidecar's own stop ends the attempt.
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            return DeliveryOutcome.Retry;
        }
    }

    /// <summary>Go's json.Decode into struct{Status string}: keys case-insensitive, errors mean success.</summary>
    private static string StatusOf(byte[] body)
    {
        // An empty body is Go's io.EOF: a decode error, so success (and no exception here per delivery).
        if (body.Length == 0) return "";
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return "";
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!property.Name.Equals("status", StringComparison.OrdinalIgnoreCase)) continue;
                return property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Null => "",
                    _ => "", // a type mismatch fails the decode: treated as success
                };
            }
            return "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    public HttpRequestMessage NewRequest(HttpMethod method, string pathAndQuery)
    {
        var request = new HttpRequestMessage(method, pathAndQuery.TrimStart('/'));
        if (appApiToken is not null) request.Headers.TryAddWithoutValidation("dapr-api-token", appApiToken);
        return request;
    }
}
