using System.Net.Sockets;
using Dapr.Client;
using Grpc.Core;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// A request that needs an unreachable sidecar is the system's trouble, not the client's nor a bug:
/// 503 ProblemDetails with Retry-After, one log line without a stack trace.
/// </summary>
public sealed partial class SidecarUnavailable(IProblemDetailsService problems, ILogger<SidecarUnavailable> log) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsSidecarUnreachable(exception)) return false;
        var http = httpContext;
        LogUnreachable(log, http.Request.Method, http.Request.Path, exception.GetBaseException().Message);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The Dapr sidecar cannot be reached",
                Detail = $"Try again in {RetryAfterSeconds} seconds; a retry is safe (with the same Idempotency-Key where the API takes one).",
            },
        });
    }

    /// <summary>The sidecar did not answer at all (gRPC Unavailable or a refused connection), as opposed to answering with an error.</summary>
    public static bool IsSidecarUnreachable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is RpcException { StatusCode: StatusCode.Unavailable }) return true;
            if (e is HttpRequestException { InnerException: SocketException }) return true;
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path}: the sidecar cannot be reached ({Reason}); answered 503")]
    private static partial void LogUnreachable(ILogger log, string method, string path, string reason);
}

/// <summary>Readiness: the sidecar answers its health endpoint. Liveness (/healthz, which daprd probes) never depends on it.</summary>
public sealed class SidecarHealthCheck(DaprClient dapr) : IHealthCheck
{
    public const string Tag = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await dapr.CheckHealthAsync(cancellationToken)
            ? HealthCheckResult.Healthy("the sidecar answers")
            : HealthCheckResult.Unhealthy("the sidecar does not answer");
}
