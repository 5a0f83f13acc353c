using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.PaymentService.Payments;

/// <summary>
/// The participant commands order-process-service calls through Dapr service invocation: create
/// the payment and void it (its compensation). The orchestrator confirms through the customer's
/// own <c>POST /payments/{orderId}/confirm</c>, which must keep serving customers, so only these
/// two check the caller. Both reuse the payment operations of the choreography: the same
/// decisions, phases, outbox and first-write creation, so a repeat is never a second effect.
/// </summary>
public static class PaymentCommandsApi
{
    public const string Tag = "Participant commands";

    /// <summary>POST /payments/{orderId} body; optional members here, so a missing one is named in the 400.</summary>
    public sealed record NewPayment
    {
        public string? CustomerId { get; init; }

        public decimal? Amount { get; init; }

        public SagaFlow? Flow { get; init; }
    }

    /// <summary>POST /payments/{orderId}/void body, optional: why the saga is compensating.</summary>
    public sealed record VoidPayment
    {
        public CancellationReason? Reason { get; init; }
    }

    public static RouteGroupBuilder MapPaymentCommandsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/payments").WithTags(Tag).OnlyFromCaller(AppIds.OrderProcessService);
        group.MapPost("/{orderId}", CreateAsync).Accepts<NewPayment>("application/json")
            .WithSummary("Create the order's Pending payment (409 UnknownCustomer)")
            .WithDescription("Idempotent per order: a repeat answers from the stored payment. A payment voided "
                + "before it was created (a tombstone) answers 200 with the Cancelled payment as it is.");
        group.MapPost("/{orderId}/void", VoidAsync).Accepts<VoidPayment>("application/json")
            .WithSummary("Compensate: cancel if Pending, refund if Confirmed, otherwise leave as is; never refuses")
            .WithDescription("Optional body {reason} (default PaymentCancelled). With no payment yet it stores a "
                + "Cancelled tombstone, so a late create opens nothing.");
        return group;
    }

    /// <summary>
    /// Creates the order's payment once (first write wins): 200 Pending, or 409 UnknownCustomer.
    /// A repeat answers from the stored payment: the same 409 for a refused open, 200 otherwise,
    /// whatever happened to the payment since (a later confirm or cancel answers for itself).
    /// A tombstone (voided before created: the orchestrator is already compensating) answers 200
    /// with the Cancelled payment as it is; nothing is requested and nothing can be debited.
    /// </summary>
    public static async Task<Results<Ok<PaymentView>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        string orderId, HttpRequest request, PaymentOperations payments, CancellationToken cancellationToken)
    {
        var (body, bodyErrors) = await RequestJson.ReadAsync<NewPayment>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);

        var errors = InputErrors.ForId(nameof(orderId), orderId) ?? [];
        if (!InputRules.IsId(body?.CustomerId)) errors["customerId"] = [InputRules.IdMessage];
        if (body?.Amount is not { } amount || !InputRules.IsAmount(amount)) errors["amount"] = [InputRules.AmountMessage];
        if (body?.Flow is not { } flow || !Enum.IsDefined(flow)) errors["flow"] = ["must be Choreography or Orchestration"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var payment = await payments.OpenAsync(orderId, body!.Flow!.Value, body.CustomerId!, body.Amount!.Value, cancellationToken);
        return PaymentRules.OpenWasRefused(payment) ? PaymentsApi.Refused(payment) : TypedResults.Ok(payment.ToView());
    }

    /// <summary>
    /// The compensation; never refuses, deciding from the payment's own state: Pending →
    /// Cancelled (with the reason sent, else PaymentCancelled), Confirmed → Refunded once, a
    /// confirmation in flight is finished and then refunded, anything else stays. With no
    /// payment yet it stores a tombstone, so a late create opens nothing. Always 200 with the
    /// payment as it now is; a repeat finds it settled and changes nothing.
    /// </summary>
    public static async Task<Results<Ok<PaymentView>, ValidationProblem>> VoidAsync(
        string orderId, HttpRequest request, PaymentOperations payments, CancellationToken cancellationToken)
    {
        var (body, bodyErrors) = await RequestJson.ReadAsync<VoidPayment>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);
        if (InputErrors.ForId(nameof(orderId), orderId) is { } errors) return TypedResults.ValidationProblem(errors);
        if (body?.Reason is { } sent && !Enum.IsDefined(sent))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = ["must be a cancellation reason"] });

        var reason = body?.Reason ?? CancellationReason.PaymentCancelled;
        var payment = await payments.VoidAsync(orderId, SagaFlow.Orchestration, reason, cancellationToken);
        return TypedResults.Ok(payment.ToView());
    }
}
