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
/// APP_API_TOKEN, which daprd sends on every call to its app: when configured, every Dapr-facing
/// endpoint refuses a call without it (401); customer endpoints never ask for it. The SDK reads the
/// token from the environment only, so it is set here from IConfiguration (docs/dapr.md, Tokens).
/// </summary>
public static partial class DaprAppToken
{
    public const string ConfigurationKey = "APP_API_TOKEN";

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

    /// <summary>The same rule inside a handler, for a route shared with customers (order-service's cancel).</summary>
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
