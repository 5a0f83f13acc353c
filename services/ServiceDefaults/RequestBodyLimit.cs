using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// Caps every request body at <see cref="MaxBytes"/>. Our largest legitimate body (an order of 50
/// lines, or an event carrying one) is a few KB; handlers read bodies whole, so without a cap one
/// request could make an app buffer megabytes. The answer is 413 ProblemDetails, not 400: the
/// body was never read, so no field can be named, and 413 (RFC 9110 Content Too Large) tells a
/// client that shrinking the body, not fixing a field, is what helps.
/// </summary>
public static class RequestBodyLimit
{
    public const int MaxBytes = 64 * 1024;

    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.ContentLength > MaxBytes)
        {
            await RefuseAsync(http);
            return;
        }
        // A declared length is enforced by the server's framing. A body of unknown length
        // (chunked) is read here, at most one chunk past the cap, so the same answer comes on any
        // server: Kestrel's own limit (IHttpMaxRequestBodySizeFeature) would surface inside a
        // handler as an IOException, and the in-memory test server has no limit at all.
        if (http.Request.ContentLength is null && MayHaveBody(http.Request.Method))
        {
            var buffered = new MemoryStream();
            var chunk = new byte[8 * 1024];
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                buffered.Write(chunk, 0, read);
                if (buffered.Length > MaxBytes) break;
            }
            if (buffered.Length > MaxBytes)
            {
                await RefuseAsync(http);
                return;
            }
            buffered.Position = 0;
            http.Request.Body = buffered;
            http.Response.RegisterForDispose(buffered);
        }
        await next(http);
    });

    private static bool MayHaveBody(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));

    private static Task RefuseAsync(HttpContext http) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "The request body is too large",
            detail: $"A request body may have at most {MaxBytes} bytes.").ExecuteAsync(http);
}
