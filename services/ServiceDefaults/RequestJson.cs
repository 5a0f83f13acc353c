using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace DaprSaga.ServiceDefaults;

public static class RequestJson
{
    /// <summary>Read rather than bound, so a wrongly typed field is a 400 naming it; an empty body is null.</summary>
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
