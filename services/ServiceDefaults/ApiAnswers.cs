using DaprSaga.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.ServiceDefaults;

/// <summary>The answers every API gives the same way: a resource by id, a 409 refusal, an Idempotency-Key reused.</summary>
public static class ApiAnswers
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>A key first used with another body is 422, as in the IETF Idempotency-Key draft.</summary>
    public static ProblemHttpResult IdempotencyKeyReused(string resource) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status422UnprocessableEntity, title: $"{IdempotencyKeyHeader} reused",
            detail: $"The {IdempotencyKeyHeader} was first used with a different request; use a new key for a new {resource}.");

    /// <summary>400 naming <paramref name="field"/> when <paramref name="id"/> is not an id, else the view <paramref name="find"/> gives or 404.</summary>
    public static async Task<Results<Ok<TView>, NotFound, ValidationProblem>> ByIdAsync<TView>(
        string field, string id, Func<Task<TView?>> find) where TView : class
    {
        if (InputErrors.ForId(field, id) is { } errors) return TypedResults.ValidationProblem(errors);
        return await find() is { } view ? TypedResults.Ok(view) : TypedResults.NotFound();
    }

    /// <summary>A 409; with a <paramref name="reason"/> (the `reason` of <see cref="CommandRefusal"/>) the refusal is for good.</summary>
    public static ProblemHttpResult Conflict(string? title, string detail, CancellationReason? reason = null) =>
        TypedResults.Problem(
            title: title,
            detail: detail,
            statusCode: StatusCodes.Status409Conflict,
            extensions: reason is { } why ? new Dictionary<string, object?> { ["reason"] = why.ToString() } : null);
}
