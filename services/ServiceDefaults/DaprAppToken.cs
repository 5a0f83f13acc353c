using Dapr.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// APP_API_TOKEN: the secret daprd sends to its app in `dapr-api-token` on every call it makes
/// (deliveries, bindings, GET /dapr/subscribe, invocations). When it is configured, every
/// Dapr-facing endpoint refuses a call without it (401), so only our sidecar can deliver events,
/// fire cron bindings or run participant commands. When it is not configured (a local
/// `dapr run -f .` without tokens) those endpoints stay open. Customer-facing endpoints never
/// ask for it.
/// </summary>
/// <remarks>
/// Built on Dapr.AspNetCore 1.19 (dotnet-sdk `src/Dapr.AspNetCore/`):
/// `DaprAuthenticationHandler.cs` answers NoResult without the `Dapr-Api-Token` header, Fail for a
/// wrong token (or for any token when none is configured), Success with the name "Dapr"
/// otherwise; `DaprAuthorizationOptionsExtensions.cs` AddDapr adds policy "Dapr" =
/// authenticated by scheme "Dapr", whose challenge is the handler's default 401.
/// `DaprAuthenticationOptions.cs` defaults Token to `DaprDefaults.GetDefaultAppApiToken(null)`,
/// the environment only, so the token is set here from IConfiguration (docs/dapr.md, Tokens),
/// read when the options are built, so per-app configuration (tests) is honoured.
/// </remarks>
public static partial class DaprAppToken
{
    public const string ConfigurationKey = "APP_API_TOKEN";

    /// <summary>The authorization policy Dapr-facing endpoints require.</summary>
    public const string Policy = "DaprAppToken";

    /// <summary>DaprAuthenticationOptions.DefaultScheme (internal in the SDK): the scheme AddDapr registers.</summary>
    public const string Scheme = "Dapr";

    internal static WebApplicationBuilder AddDaprAppToken(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication().AddDapr();
        builder.Services.AddOptions<DaprAuthenticationOptions>(Scheme)
            .Configure<IConfiguration>((options, configuration) => options.Token = configuration[ConfigurationKey] ?? "");
        builder.Services.AddAuthorization();
        builder.Services.AddOptions<AuthorizationOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            if (IsConfigured(configuration)) options.AddDapr(Policy);
            // No token configured: the endpoints stay open, as daprd then sends none.
            else options.AddPolicy(Policy, policy => policy.RequireAssertion(_ => true));
        });
        return builder;
    }

    /// <summary>Says once, at start, what an app without APP_API_TOKEN leaves open.</summary>
    internal static void WarnIfNotConfigured(WebApplication app)
    {
        if (!IsConfigured(app.Configuration)) LogNoToken(app.Logger, ParticipantCommands.CallerHeader);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "APP_API_TOKEN is not set: anyone who reaches this app's port can forge the {Header} header "
        + "of a participant command, deliver events and fire cron endpoints. Export APP_API_TOKEN and DAPR_API_TOKEN before `dapr run -f .`.")]
    private static partial void LogNoToken(ILogger logger, string header);

    public static bool IsConfigured(IConfiguration configuration) => !string.IsNullOrEmpty(configuration[ConfigurationKey]);

    /// <summary>Only daprd (which sends APP_API_TOKEN) may call this endpoint, when a token is configured.</summary>
    public static TBuilder RequireDaprAppToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policy);

    /// <summary>
    /// The same rule checked inside a handler, for a route shared with customers (order-service's
    /// cancel) that asks for the token only on its Dapr-facing branch: a 401 when it is missing or wrong.
    /// </summary>
    public static async Task<ProblemHttpResult?> RefuseWithoutTokenAsync(HttpContext http)
    {
        var configuration = http.RequestServices.GetRequiredService<IConfiguration>();
        if (!IsConfigured(configuration)) return null;
        var result = await http.AuthenticateAsync(Scheme);
        return result.Succeeded
            ? null
            : TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Only the Dapr sidecar may call this",
                detail: "A missing or wrong dapr-api-token.");
    }
}
