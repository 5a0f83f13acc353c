using Microsoft.AspNetCore.Http;

namespace DaprSaga.OrderService.Tests;

internal static class ValidationProblems
{
    /// <summary>The response is a 400 whose validation problem names <paramref name="field"/> among its errors.</summary>
    public static async Task AssertNamesFieldAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<HttpValidationProblemDetails>())!;
        Assert.Contains(field, problem.Errors.Keys);
    }
}
