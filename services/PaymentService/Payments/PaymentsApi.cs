using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.PaymentService.Payments;

/// <summary>The customer-facing payment API: read, confirm, cancel.</summary>
public static class PaymentsApi
{
    public static RouteGroupBuilder MapPaymentsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/payments").WithTags("Payments");
        group.MapGet("/{orderId}", GetAsync);
        // The orchestrator confirms through this same customer route (so no caller check here).
        group.MapPost("/{orderId}/confirm", ConfirmAsync).WithTags("Payments", ParticipantCommands.Tag);
        group.MapPost("/{orderId}/cancel", CancelAsync);
        return group;
    }

    public static async Task<Results<Ok<PaymentView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, PaymentOperations payments, CancellationToken cancellationToken)
    {
        if (InputErrors.ForId(nameof(orderId), orderId) is { } errors) return TypedResults.ValidationProblem(errors);
        return await payments.FindAsync(orderId, cancellationToken) is { } payment
            ? TypedResults.Ok(payment.ToView())
            : TypedResults.NotFound();
    }

    /// <summary>Debits the customer once; a repeat answers with the same outcome.</summary>
    public static async Task<Results<Ok<PaymentView>, NotFound, ProblemHttpResult, ValidationProblem>> ConfirmAsync(
        string orderId, PaymentOperations payments, CancellationToken cancellationToken)
    {
        if (InputErrors.ForId(nameof(orderId), orderId) is { } errors) return TypedResults.ValidationProblem(errors);
        return await payments.ConfirmAsync(orderId, cancellationToken) switch
        {
            null => TypedResults.NotFound(),
            { Status: PaymentStatus.Confirmed } payment => TypedResults.Ok(payment.ToView()),
            var payment => Refused(payment),
        };
    }

    /// <summary>Cancels a Pending payment; a repeat answers 200 again.</summary>
    public static async Task<Results<Ok<PaymentView>, NotFound, ProblemHttpResult, ValidationProblem>> CancelAsync(
        string orderId, PaymentOperations payments, CancellationToken cancellationToken)
    {
        if (InputErrors.ForId(nameof(orderId), orderId) is { } errors) return TypedResults.ValidationProblem(errors);
        return await payments.CancelAsync(orderId, cancellationToken) switch
        {
            null => TypedResults.NotFound(),
            { Status: PaymentStatus.Cancelled, Reason: CancellationReason.PaymentCancelled } payment =>
                TypedResults.Ok(payment.ToView()),
            var payment => Refused(payment),
        };
    }

    /// <summary>409 naming why the payment cannot do what was asked (its cancellation reason, when it has one).</summary>
    internal static ProblemHttpResult Refused(Payment payment)
    {
        // "paymentStatus", not "status": ProblemDetails already has a numeric status member.
        var extensions = new Dictionary<string, object?> { ["paymentStatus"] = payment.Status.ToString() };
        if (payment.Reason is { } reason) extensions["reason"] = reason.ToString();
        return TypedResults.Problem(
            statusCode: StatusCodes.Status409Conflict,
            title: payment.Reason is { } why ? $"The payment is {payment.Status}: {why}" : $"The payment is {payment.Status}",
            extensions: extensions);
    }
}
