using DaprSaga.OrderProcessService.Saga;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>Start, read and list orchestrated sagas, for both engines.</summary>
public static class OrderProcessApi
{
    public static RouteGroupBuilder MapOrderProcessApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/order-processes").WithTags("Order processes");
        group.MapPost("/", StartAsync).Accepts<PlaceOrder>("application/json");
        group.MapGet("/{orderId}", GetAsync);
        group.MapGet("/", ListAsync);
        return group;
    }

    private static async Task<Results<Accepted<OrderProcessView>, ValidationProblem, ProblemHttpResult>> StartAsync(
        HttpRequest httpRequest, [FromHeader(Name = ApiAnswers.IdempotencyKeyHeader)] string? idempotencyKey, OrderProcesses processes,
        IOptions<ProcessOptions> options, CancellationToken ct)
    {
        // Read, not bound: a wrongly typed field is then a 400 naming it.
        var (body, parseErrors) = await RequestJson.ReadAsync<PlaceOrder>(httpRequest, ct);
        if (parseErrors is not null) return TypedResults.ValidationProblem(parseErrors);
        var errors = NewOrderRules.Validate(body, orchestrated: true, out var order);
        if (idempotencyKey is not null) errors.Check(InputRules.IsId(idempotencyKey), ApiAnswers.IdempotencyKeyHeader, InputRules.IdMessage);
        if (order is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var request = new SagaRequest(
            Guid.NewGuid().ToString("N"), order.CustomerId, order.Items, order.DeliveryZone, order.AutoConfirmPayment,
            Engine: order.Engine ?? options.Value.DefaultEngine, PaymentPreauthorised: order.AutoConfirmPayment);
        // As asked: lines in product order, the engine only if named.
        var fingerprint = IdempotencyKeys.Fingerprint(order with { Items = [.. order.Items.OrderBy(i => i.ProductId, StringComparer.Ordinal)] });

        var view = await processes.StartAsync(request, idempotencyKey, fingerprint, ct);
        return view is null ? ApiAnswers.IdempotencyKeyReused("order process") : TypedResults.Accepted($"/order-processes/{view.OrderId}", view);
    }

    private static async Task<Results<Ok<OrderProcessView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, OrderProcesses processes, CancellationToken ct)
    {
        if (InputErrors.ForId(nameof(orderId), orderId) is { } errors) return TypedResults.ValidationProblem(errors);
        return await processes.GetAsync(orderId, ct) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<IReadOnlyList<OrderProcessView>>, ValidationProblem>> ListAsync(
        string? status, OrderProcesses processes, CancellationToken ct)
    {
        ProcessStatus? wanted = null;
        if (status is not null)
        {
            if (!InputRules.TryParseName<ProcessStatus>(status, out var parsed))
                return TypedResults.ValidationProblem(InputErrors.Of(nameof(status), InputRules.NamesOf<ProcessStatus>()));
            wanted = parsed;
        }
        IReadOnlyList<OrderProcessView> list = (await processes.ListAsync(ct)).Where(p => wanted is null || p.Status == wanted).ToList();
        return TypedResults.Ok(list);
    }
}
