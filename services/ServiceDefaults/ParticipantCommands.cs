using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// Participant commands serve only calls whose sidecar names the orchestrator in `dapr-caller-app-id`
/// (403 otherwise). The header is proof only with APP_API_TOKEN, else it can be forged.
/// </summary>
public static class ParticipantCommands
{
    public const string CallerHeader = "dapr-caller-app-id";

    /// <summary>The OpenAPI tag of every participant command.</summary>
    public const string Tag = "Participant commands";

    /// <summary>The 403 for any call that does not name <paramref name="appId"/> as its caller, or null when it may call.</summary>
    public static ProblemHttpResult? RefuseOtherCaller(HttpRequest request, string appId)
    {
        var caller = request.Headers[CallerHeader].ToString();
        if (caller == appId) return null;
        return TypedResults.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            title: $"Only {appId} may call this command",
            detail: caller.Length == 0
                ? $"A participant command is served only to {appId}'s calls through Dapr service invocation."
                : $"Caller '{caller}' is not allowed.");
    }

    /// <summary>401 then 403, for a route shared with customers that is a command only on one branch.</summary>
    public static async Task<ProblemHttpResult?> RefuseAsync(HttpContext http, string appId) =>
        await DaprAppToken.RefuseWithoutTokenAsync(http) ?? RefuseOtherCaller(http.Request, appId);

    /// <summary>Only <paramref name="appId"/>'s calls through Dapr (APP_API_TOKEN, when configured, then the caller header).</summary>
    public static TBuilder OnlyFromCaller<TBuilder>(this TBuilder builder, string appId) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireDaprAppToken().AddEndpointFilter(async (context, next) =>
            RefuseOtherCaller(context.HttpContext.Request, appId) ?? await next(context));

    /// <summary>A group of participant commands under <paramref name="prefix"/>, served only to the orchestrator, which repeats each until answered.</summary>
    public static RouteGroupBuilder MapParticipantCommands(this IEndpointRouteBuilder endpoints, string prefix) =>
        endpoints.MapGroup(prefix).WithTags(Tag).OnlyFromCaller(AppIds.OrderProcessService).RepeatedByItsCaller();
}
