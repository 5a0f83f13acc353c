using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace DaprSaga.ServiceDefaults;

public static class RequestJson
{
    /// <summary>
    /// Reads a JSON body here rather than binding it, so a wrongly typed field (a number too large
    /// for its type, an unknown enum name) is a 400 naming that field. An empty body reads as null
    /// (the caller decides whether that is allowed). The size is capped by <see cref="RequestBodyLimit"/>.
    /// </summary>
    public static async Task<(T? Body, Dictionary<string, string[]>? Errors)> ReadAsync<T>(
        HttpRequest request, CancellationToken cancellationToken) where T : class
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text)) return (null, null);
        try
        {
            return (JsonSerializer.Deserialize<T>(text, ServiceDefaultsExtensions.JsonOptions), null);
        }
        catch (JsonException e)
        {
            return (null, new() { [FieldOf(e.Path)] = ["is not valid JSON of the expected type"] });
        }
    }

    // "$.items[0].quantity" → "items[0].quantity"; a body that is not an object at all is the body's fault.
    private static string FieldOf(string? jsonPath) =>
        jsonPath is { Length: > 2 } && jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : "body";
}
