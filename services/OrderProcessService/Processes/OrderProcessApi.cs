using System.Text.RegularExpressions;
using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Saga;
using DaprSaga.OrderProcessService.Workflows;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderProcessService.Processes;

public sealed record OrderLineRequest(string? ProductId = null, int? Quantity = null, decimal? UnitPrice = null);

/// <summary>
/// The body of POST /order-processes: the same as POST /orders, plus the engine. Every member is
/// optional to the parser (RespectRequiredConstructorParameters requires parameters without
/// defaults), so a missing field is reported by name, and autoConfirmPayment and engine may be left out.
/// </summary>
public sealed record StartOrderProcess(
    string? CustomerId = null, IReadOnlyList<OrderLineRequest?>? Items = null, string? DeliveryZone = null, bool? AutoConfirmPayment = null,
    string? Engine = null);

/// <summary>A start request as an Idempotency-Key compares it: defaults filled in, lines in product order.</summary>
internal sealed record StartFingerprint(string CustomerId, IReadOnlyList<OrderLine> Items, string DeliveryZone, bool AutoConfirmPayment, SagaEngine? Engine);

internal static class OrderProcessViews
{
    public static OrderProcessView Of(OrderProcess p) =>
        new(p.OrderId, SagaEngine.Runner, p.Status, p.CurrentStepName, p.Steps.Select(StepOf).ToList(), p.CancellationReason, p.CreatedAt, p.UpdatedAt);

    public static ProcessStepView StepOf(StepLog s) =>
        new(s.Name, OrderSaga.Steps.First(x => x.Name == s.Name).Participant, s.Outcome, s.At, s.Compensated, s.CompensatedAt);
}

public static partial class OrderProcessApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static IEndpointRouteBuilder MapOrderProcessApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/order-processes").WithTags("Order processes");
        group.MapPost("/", StartAsync).Accepts<StartOrderProcess>("application/json");
        group.MapGet("/{orderId}", GetAsync);
        group.MapGet("/", ListAsync);

        // The customer's confirm or cancel (or the payment's expiry), or their cancel of the order
        // through order-service, ends a saga's wait for the payment at once.
        endpoints.MapEventHandler<PaymentConfirmed>((e, services, ct) =>
            OnDecisionAsync(e.OrderId, e.Flow, new(CustomerDecisionKind.PaymentConfirmed), services, ct));
        endpoints.MapEventHandler<PaymentCancelled>((e, services, ct) =>
            OnDecisionAsync(e.OrderId, e.Flow, new(CustomerDecisionKind.PaymentCancelled, e.Reason), services, ct));
        endpoints.MapEventHandler<OrderCancelled>((e, services, ct) =>
            OnDecisionAsync(e.OrderId, e.Flow, new(CustomerDecisionKind.OrderCancelled, e.Reason), services, ct));
        endpoints.MapCronBinding(Components.ProcessRecovery, async (ProcessRecovery recovery, CancellationToken ct) =>
            TypedResults.Ok(new { resumed = await recovery.ResumeAsync(ct) }));
        return endpoints;
    }

    private static async Task<HandlerOutcome> OnDecisionAsync(
        string orderId, SagaFlow flow, CustomerDecision decision, IServiceProvider services, CancellationToken ct)
    {
        // Choreographed orders are not ours.
        if (flow == SagaFlow.Orchestration)
            await services.GetRequiredService<OrderProcesses>().OnCustomerDecisionAsync(orderId, decision, ct);
        return HandlerOutcome.Done;
    }

    private static async Task<Results<Accepted<OrderProcessView>, ValidationProblem, ProblemHttpResult>> StartAsync(
        HttpRequest httpRequest, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey, OrderProcesses processes,
        IOptions<ProcessOptions> options, CancellationToken ct)
    {
        // Read, not bound: a wrongly typed field is then a 400 naming it.
        var (read, parseErrors) = await RequestJson.ReadAsync<StartOrderProcess>(httpRequest, ct);
        if (parseErrors is not null) return TypedResults.ValidationProblem(parseErrors);
        if (read is not { } body) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["a JSON object is required"] });
        var errors = Validate(body);
        SagaEngine? engine = null;
        if (body.Engine is not null)
        {
            if (TryParseName<SagaEngine>(body.Engine) is { } parsed) engine = parsed;
            else errors["engine"] = [$"'{body.Engine}' is not an engine: workflow or runner."];
        }
        if (idempotencyKey is not null && !IdPattern().IsMatch(idempotencyKey))
            errors[IdempotencyKeyHeader] = ["1-64 letters, digits, '-' or '_'."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var items = body.Items!.Select(i => new OrderLine(i!.ProductId!, i.Quantity!.Value, i.UnitPrice!.Value)).ToList();
        var autoConfirm = body.AutoConfirmPayment ?? true;
        var request = new SagaRequest(
            Guid.NewGuid().ToString("N"), body.CustomerId!, items, body.DeliveryZone!, autoConfirm,
            Engine: engine ?? options.Value.DefaultEngine);
        var fingerprint = IdempotencyKeys.Fingerprint(new StartFingerprint(
            body.CustomerId!, items.OrderBy(i => i.ProductId, StringComparer.Ordinal).ToList(), body.DeliveryZone!, autoConfirm, engine));

        var view = await processes.StartAsync(request, idempotencyKey, fingerprint, ct);
        if (view is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused",
                detail: $"The {IdempotencyKeyHeader} was first used with a different request; use a new key for a new order process.");
        }
        return TypedResults.Accepted($"/order-processes/{view.OrderId}", view);
    }

    private static async Task<Results<Ok<OrderProcessView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, OrderProcesses processes, CancellationToken ct)
    {
        if (!IdPattern().IsMatch(orderId))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["orderId"] = ["1-64 letters, digits, '-' or '_'."] });
        return await processes.GetAsync(orderId, ct) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<IReadOnlyList<OrderProcessView>>, ValidationProblem>> ListAsync(
        string? status, OrderProcesses processes, CancellationToken ct)
    {
        ProcessStatus? wanted = null;
        if (status is not null)
        {
            if (TryParseName<ProcessStatus>(status) is not { } parsed)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["status"] = [$"'{status}' is not a process status."] });
            wanted = parsed;
        }
        IReadOnlyList<OrderProcessView> list = (await processes.ListAsync(ct)).Where(p => wanted is null || p.Status == wanted).ToList();
        return TypedResults.Ok(list);
    }

    // Names only, any case: Enum.TryParse would also take "2".
    private static TEnum? TryParseName<TEnum>(string text) where TEnum : struct, Enum =>
        !int.TryParse(text, out _) && Enum.TryParse<TEnum>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed : null;

    private static Dictionary<string, string[]> Validate(StartOrderProcess body)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.CustomerId is null || !IdPattern().IsMatch(body.CustomerId))
            errors["customerId"] = ["Required: 1-64 letters, digits, '-' or '_'."];
        if (body.DeliveryZone is not { Length: > 0 and <= 32 } zone || string.IsNullOrWhiteSpace(zone)
            || zone.Contains("||", StringComparison.Ordinal) || zone.Any(char.IsControl))
            errors["deliveryZone"] = ["Required: 1-32 characters."];
        if (body.Items is not { Count: > 0 and <= 50 } items)
        {
            errors["items"] = ["Required: 1-50 lines."];
            return errors;
        }
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { } line)
            {
                errors[$"items[{i}]"] = ["Required: a line {productId, quantity, unitPrice}."];
                continue;
            }
            if (line.ProductId is null || !IdPattern().IsMatch(line.ProductId))
                errors[$"items[{i}].productId"] = ["Required: 1-64 letters, digits, '-' or '_'."];
            if (line.Quantity is not (>= 1 and <= 1000))
                errors[$"items[{i}].quantity"] = ["Required: 1-1000."];
            if (line.UnitPrice is not { } price || price < 0 || price > 1_000_000m || decimal.Round(price, 2) != price)
                errors[$"items[{i}].unitPrice"] = ["Required: 0-1000000 with at most 2 decimals."];
        }
        if (items.OfType<OrderLineRequest>().GroupBy(i => i.ProductId).Any(g => g.Count() > 1))
            errors["items"] = ["Each product may appear once."];
        return errors;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();
}
