using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DaprSaga.TestSidecar.Http;

/// <summary>
/// The sidecar's HTTP API as DaprClient uses it: service invocation (`/v1.0/invoke/{appId}/method/{method}`,
/// dapr `pkg/http/api_directmessaging.go`), health (`/v1.0/healthz`, `/v1.0/healthz/outbound`,
/// 204 when ready) and metadata (`/v1.0/metadata`, dapr `pkg/http/api_metadata.go`).
/// </summary>
internal static class SidecarHttpApi
{
    // Hop-by-hop and per-connection headers are not forwarded.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer",
        "Content-Length",
    };

    public static void MapSidecarHttpApi(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1.0");
        // Health endpoints stay open when an API token is set (dapr `pkg/http/server.go` public routes).
        v1.MapGet("/healthz", () => Results.NoContent());
        v1.MapGet("/healthz/outbound", () => Results.NoContent());
        v1.MapGet("/metadata", (Sidecar sidecar, HttpContext http) => Authorized(sidecar, http) ?? Metadata(sidecar));
        v1.Map("/invoke/{appId}/method/{**method}", InvokeAsync);
    }

    private static IResult? Authorized(Sidecar sidecar, HttpContext http)
    {
        if (sidecar.Options.DaprApiToken is not { } token) return null;
        // dapr `pkg/api/http/middlewares.go` APITokenAuthMiddleware: 401 with a plain-text body.
        var sent = http.Request.Headers["dapr-api-token"].ToString();
        return sent == token ? null : Results.Text("invalid api token", statusCode: (int)HttpStatusCode.Unauthorized);
    }

    private static async Task InvokeAsync(HttpContext http, string appId, string? method, Sidecar sidecar)
    {
        if (Authorized(sidecar, http) is { } denied)
        {
            await denied.ExecuteAsync(http);
            return;
        }
        sidecar.Calls.Count(SidecarCallKind.Invoke);
        var target = sidecar.Testbed.ResolveSidecar(appId);
        if (target is null)
        {
            await Error(HttpStatusCode.InternalServerError, "ERR_DIRECT_INVOKE",
                $"failed to invoke, id: {appId}, err: couldn't find service: {appId}").ExecuteAsync(http);
            return;
        }
        var app = target.App;
        if (app is null)
        {
            // A target app that refuses connections is an immediate error, not retried here.
            await Error(HttpStatusCode.InternalServerError, "ERR_DIRECT_INVOKE",
                $"failed to invoke, id: {appId}, err: error invoking app channel: connection refused").ExecuteAsync(http);
            return;
        }

        using var request = app.NewRequest(new HttpMethod(http.Request.Method), "/" + method + http.Request.QueryString);
        if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            request.Content = new ByteArrayContent(body.ToArray());
        }
        // The caller's dapr-api-token is consumed by its sidecar only when that sidecar checks one
        // (APITokenAuthMiddleware); the target's APP_API_TOKEN, when set, replaces it.
        var dropCallerToken = sidecar.Options.DaprApiToken is not null || target.Options.AppApiToken is not null;
        foreach (var (name, values) in http.Request.Headers)
        {
            if (NotForwarded.Contains(name)) continue;
            if (dropCallerToken && name.Equals("dapr-api-token", StringComparison.OrdinalIgnoreCase)) continue;
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        // Caller-supplied copies are replaced (direct_messaging.go addCallerAndCalleeAppIDHeaderToMetadata).
        request.Headers.Remove("dapr-caller-app-id");
        request.Headers.Remove("dapr-callee-app-id");
        request.Headers.Remove("dapr-caller-namespace");
        request.Headers.TryAddWithoutValidation("dapr-caller-app-id", sidecar.AppId);
        request.Headers.TryAddWithoutValidation("dapr-callee-app-id", appId);
        request.Headers.TryAddWithoutValidation("dapr-caller-namespace", "");

        HttpResponseMessage response;
        try
        {
            response = await app.Client.SendAsync(request, http.RequestAborted);
        }
        // Any failure of the app channel, an in-memory app's abort included; the caller's own hang-up ends it.
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            await Error(HttpStatusCode.InternalServerError, "ERR_DIRECT_INVOKE",
                $"failed to invoke, id: {appId}, err: error invoking app channel: {e.Message}").ExecuteAsync(http);
            return;
        }
        using (response)
        {
            if (sidecar.Testbed.Faults.Roll(FaultKind.LostInvocationResponse))
            {
                // The target ran the request; the answer is lost on the way back.
                await Error(HttpStatusCode.InternalServerError, "ERR_DIRECT_INVOKE",
                    $"failed to invoke, id: {appId}, err: injected fault: response lost").ExecuteAsync(http);
                return;
            }
            // The target's status, headers and body are passed back unchanged.
            http.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (NotForwarded.Contains(name)) continue;
                http.Response.Headers[name] = values.ToArray();
            }
            await response.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
        }
    }

    private static IResult Metadata(Sidecar sidecar)
    {
        var components = new JsonArray();
        foreach (var (name, type, capabilities) in sidecar.Components()) components.Add(Component(name, type, capabilities));

        var subscriptions = new JsonArray();
        foreach (var s in sidecar.Subscriptions)
        {
            // The route is daprd's one default rule; `match` is omitempty in dapr `pkg/api/http/metadata.go`.
            var rules = new JsonArray { new JsonObject { ["path"] = s.Path } };
            subscriptions.Add(new JsonObject
            {
                ["pubsubname"] = s.PubsubName,
                ["topic"] = s.Topic,
                ["deadLetterTopic"] = s.DeadLetterTopic ?? "",
                ["rules"] = rules,
                ["type"] = "PROGRAMMATIC",
            });
        }
        return Results.Json(new JsonObject
        {
            ["id"] = sidecar.AppId,
            ["runtimeVersion"] = "1.19.0-testsidecar",
            ["enabledFeatures"] = new JsonArray(),
            ["components"] = components,
            ["subscriptions"] = subscriptions,
            ["extended"] = new JsonObject { ["appCommand"] = "", ["daprRuntimeVersion"] = "1.19.0-testsidecar" },
        });
    }

    private static JsonObject Component(string name, string type, string[] capabilities) => new()
    {
        ["name"] = name,
        ["type"] = type,
        ["version"] = "v1",
        ["capabilities"] = new JsonArray(capabilities.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
    };

    private static IResult Error(HttpStatusCode status, string code, string message) =>
        Results.Json(new JsonObject { ["errorCode"] = code, ["message"] = message }, statusCode: (int)status);
}
