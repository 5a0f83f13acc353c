using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.PaymentService.Payments;

/// <summary>
/// The orchestrator's create and void, on the choreography's payment operations, so a repeat is
/// never a second effect. A pre-authorised create confirms in the open, as choreography's does; any
/// other payment is confirmed through the customer's own confirm, which stays open to customers.
/// </summary>
public static class PaymentCommandsApi
{
    public static RouteGroupBuilder MapPaymentCommandsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapParticipantCommands("/payments");
        group.MapPost("/{orderId}", CreateAsync).Accepts<CreatePayment>("application/json")
            .WithSummary("Create the order's payment: Pending, or debited when preauthorised (409 UnknownCustomer, InsufficientCredit)")
            .WithDescription("Body {customerId, amount, flow, preauthorised?}. Preauthorised (default false) debits at once, "
                + "publishing no payment-requested: 200 Confirmed, or 409 InsufficientCredit. Idempotent per order: a repeat "
                + "answers from the stored payment. A payment voided before it was created (a tombstone) answers 200 with the "
                + "Cancelled payment as it is.");
        group.MapPost("/{orderId}/void", VoidAsync).Accepts<VoidPayment>("application/json")
            .WithSummary("Compensate: cancel if Pending, refund if Confirmed, otherwise leave as is; never refuses")
            .WithDescription("Optional body {reason} (default PaymentCancelled). With no payment yet it stores a "
                + "Cancelled tombstone, so a late create opens nothing.");
        return group;
    }

    // A repeat answers from the stored payment, whatever happened to it since.
    public static async Task<Results<Ok<PaymentView>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        string orderId, HttpRequest request, PaymentOperations payments, CancellationToken cancellationToken)
    {
        var (body, bodyErrors) = await RequestJson.ReadAsync<CreatePayment>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);

        var errors = InputErrors.ForId(nameof(orderId), orderId) ?? [];
        errors.Check(InputRules.IsId(body?.CustomerId), "customerId", InputRules.IdMessage);
        errors.Check(InputRules.IsAmount(body?.Amount), "amount", InputRules.AmountMessage);
        errors.CheckName(body?.Flow, "flow");
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var payment = await payments.OpenAsync(
            orderId, body!.Flow!.Value, body.CustomerId!, body.Amount!.Value, confirm: body.Preauthorised ?? false, cancellationToken);
        return PaymentRules.OpenWasRefused(payment) ? PaymentsApi.Refused(payment) : TypedResults.Ok(payment.ToView());
    }

    public static async Task<Results<Ok<PaymentView>, ValidationProblem>> VoidAsync(
        string orderId, HttpRequest request, PaymentOperations payments, CancellationToken cancellationToken)
    {
        var (body, bodyErrors) = await RequestJson.ReadAsync<VoidPayment>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);
        var errors = InputErrors.ForId(nameof(orderId), orderId) ?? [];
        errors.CheckName(body?.Reason, "reason", required: false);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var reason = body?.Reason ?? CancellationReason.PaymentCancelled;
        var payment = await payments.VoidAsync(orderId, SagaFlow.Orchestration, reason, cancellationToken);
        return TypedResults.Ok(payment.ToView());
    }
}
