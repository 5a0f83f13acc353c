using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// Participant commands are for the orchestrator alone. A call through Dapr service invocation
/// carries `dapr-caller-app-id`, set by the caller's sidecar; anything else, a direct call without
/// the header included, is refused with 403. The header is only proof when APP_API_TOKEN is
/// configured (then only daprd, which sends the token, gets as far as this check): without the
/// token anyone who reaches the app's port can forge it, which each app logs at start.
/// </summary>
public static class ParticipantCommands
{
    public const string CallerHeader = "dapr-caller-app-id";

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
