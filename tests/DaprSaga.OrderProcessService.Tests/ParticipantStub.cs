using System.Collections.Concurrent;
using DaprSaga.ServiceDefaults;

namespace DaprSaga.OrderProcessService.Tests;

/// <summary>
/// A participant app as its sidecar sees it: records every command ("POST /orders/o-1/confirm")
/// and answers 200, or what the test's <see cref="Answer"/> says. It has no subscriptions.
/// </summary>
public sealed class ParticipantStub : HttpMessageHandler
{
    private readonly ConcurrentQueue<string> _calls = new();

    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>The body of the last call of each kind ("PUT /orders/o-1").</summary>
    public ConcurrentDictionary<string, string> Bodies { get; } = new(StringComparer.Ordinal);

    /// <summary>The answer to a call, or null for a plain 200.</summary>
    public Func<string, Task<HttpResponseMessage>?>? Answer { get; set; }

    public static HttpResponseMessage Json(HttpStatusCode status, object body) =>
        new(status) { Content = JsonContent.Create(body, options: ServiceDefaultsExtensions.JsonOptions) };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var call = $"{request.Method} {request.RequestUri!.AbsolutePath}";
        // 404 on /dapr/subscribe is how daprd learns an app subscribes to nothing.
        if (call == "GET /dapr/subscribe") return new HttpResponseMessage(HttpStatusCode.NotFound);
        _calls.Enqueue(call);
        if (request.Content is not null) Bodies[call] = await request.Content.ReadAsStringAsync(cancellationToken);
        return await (Answer?.Invoke(call) ?? Task.FromResult(Json(HttpStatusCode.OK, new { })));
    }
}
