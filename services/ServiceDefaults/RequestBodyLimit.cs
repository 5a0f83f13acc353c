using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DaprSaga.ServiceDefaults;

/// <summary>
/// Caps request bodies (the largest legitimate one is a few KB; handlers read bodies whole) with a
/// 413 ProblemDetails: the body was never read, so no field can be named.
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
        // A chunked body is counted here, so every server answers alike (Kestrel's own limit throws inside handlers).
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
