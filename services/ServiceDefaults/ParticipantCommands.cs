using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// Participant commands are for the orchestrator: a call that came through Dapr service
/// invocation carries `dapr-caller-app-id` (set by the caller's sidecar, never by the caller),
/// and any other app is refused with 403. Without the header (a direct call, e.g. a test or an
/// operator) the command is served, unless APP_API_TOKEN is configured: then only calls that
/// came through daprd (which sends the token) get this far, and others are refused with 401.
/// </summary>
public static class ParticipantCommands
{
    public const string CallerHeader = "dapr-caller-app-id";

    /// <summary>The 403 for a caller other than <paramref name="appId"/>, or null when it may call.</summary>
    public static ProblemHttpResult? RefuseOtherCaller(HttpRequest request, string appId)
    {
        var caller = request.Headers[CallerHeader].ToString();
        return caller.Length == 0 || caller == appId
            ? null
            : TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: $"Only {appId} may call this command",
                detail: $"Caller '{caller}' is not allowed.");
    }

    /// <summary>
    /// The token check of <see cref="DaprAppToken"/> (401), then the caller check (403), for a
    /// route shared with customers that is a participant command only on one branch.
    /// </summary>
    public static async Task<ProblemHttpResult?> RefuseAsync(HttpContext http, string appId) =>
        await DaprAppToken.RefuseWithoutTokenAsync(http) ?? RefuseOtherCaller(http.Request, appId);

    /// <summary>Only <paramref name="appId"/>'s calls through Dapr (APP_API_TOKEN, when configured, then the caller header).</summary>
    public static TBuilder OnlyFromCaller<TBuilder>(this TBuilder builder, string appId) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireDaprAppToken().AddEndpointFilter(async (context, next) =>
            RefuseOtherCaller(context.HttpContext.Request, appId) ?? await next(context));
}
