using System.Text.RegularExpressions;
using Dapr.Client;
using DaprSaga.Contracts;
using DaprSaga.OrderProcessService.Saga;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.Messaging;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.OrderProcessService.Processes;

public sealed record OrderLineRequest(string? ProductId = null, int? Quantity = null, decimal? UnitPrice = null);

/// <summary>
/// The body of POST /order-processes: the same as POST /orders. Every member is optional to the
/// parser (RespectRequiredConstructorParameters requires parameters without defaults), so a
/// missing field is reported by name, and autoConfirmPayment may be left out.
/// </summary>
public sealed record StartOrderProcess(
    string? CustomerId = null, IReadOnlyList<OrderLineRequest?>? Items = null, string? DeliveryZone = null, bool? AutoConfirmPayment = null);

internal static class OrderProcessViews
{
    public static OrderProcessView Of(OrderProcess p) =>
        new(p.OrderId, SagaEngine.Runner, p.Status, p.CurrentStepName,
            p.Steps.Select(s => new ProcessStepView(s.Name, OrderSaga.Steps.First(x => x.Name == s.Name).Participant, s.Outcome, s.At, s.Compensated)).ToList(),
            p.CancellationReason, p.CreatedAt, p.UpdatedAt);
}

public static partial class OrderProcessApi
{
    public static IEndpointRouteBuilder MapOrderProcessApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/order-processes").WithTags("Order processes");
        group.MapPost("/", StartAsync).Accepts<StartOrderProcess>("application/json");
        group.MapGet("/{orderId}", GetAsync);
        group.MapGet("/", ListAsync);

        // The customer's confirm or cancel resumes a waiting orchestration at once.
        endpoints.MapEventHandler<PaymentConfirmed>((e, services, _) => Resume(e.OrderId, e.Flow, services));
        endpoints.MapEventHandler<PaymentCancelled>((e, services, _) => Resume(e.OrderId, e.Flow, services));
        endpoints.MapCronBinding(Components.ProcessRecovery, async (ProcessRecovery recovery, CancellationToken ct) =>
            TypedResults.Ok(new { resumed = await recovery.ResumeAsync(ct) }));
        return endpoints;
    }

    private static Task<HandlerOutcome> Resume(string orderId, SagaFlow flow, IServiceProvider services)
    {
        // Choreographed orders are not ours; an unknown id is resumed harmlessly (nothing to run).
        if (flow == SagaFlow.Orchestration) services.GetRequiredService<ProcessWorker>().Enqueue(orderId);
        return Task.FromResult(HandlerOutcome.Done);
    }

    private static async Task<Results<Accepted<OrderProcessView>, ValidationProblem>> StartAsync(
        HttpRequest httpRequest, ProcessIndexes indexes, ProcessRunner runner, ProcessWorker worker, CancellationToken ct)
    {
        // Read, not bound: a wrongly typed field is then a 400 naming it.
        var (read, parseErrors) = await RequestJson.ReadAsync<StartOrderProcess>(httpRequest, ct);
        if (parseErrors is not null) return TypedResults.ValidationProblem(parseErrors);
        if (read is not { } body) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["a JSON object is required"] });
        var errors = Validate(body);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var orderId = Guid.NewGuid().ToString("N");
        var request = new SagaRequest(
            orderId, body.CustomerId!,
            body.Items!.Select(i => new OrderLine(i!.ProductId!, i.Quantity!.Value, i.UnitPrice!.Value)).ToList(),
            body.DeliveryZone!, body.AutoConfirmPayment ?? true);
        // Indexed first, so neither the listing nor the recovery tick can miss the instance; then
        // stored, leased to the worker's runner, so no other runner drives it before its lease ends.
        await indexes.AddAsync(orderId, ct);
        var created = await runner.CreateAsync(request, ct);
        worker.Start(created);
        return TypedResults.Accepted($"/order-processes/{orderId}", OrderProcessViews.Of(created));
    }

    private static async Task<Results<Ok<OrderProcessView>, NotFound, ValidationProblem>> GetAsync(
        string orderId, DaprClient dapr, ServiceIdentity service, CancellationToken ct)
    {
        if (!IdPattern().IsMatch(orderId))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["orderId"] = ["1-64 letters, digits, '-' or '_'."] });
        var process = await dapr.GetStateAsync<OrderProcess>(service.StateStore, ProcessRunner.KeyOf(orderId), cancellationToken: ct);
        return process is null ? TypedResults.NotFound() : TypedResults.Ok(OrderProcessViews.Of(process));
    }

    private static async Task<Results<Ok<IReadOnlyList<OrderProcessView>>, ValidationProblem>> ListAsync(
        string? status, DaprClient dapr, ServiceIdentity service, ProcessIndexes indexes, CancellationToken ct)
    {
        ProcessStatus? wanted = null;
        if (status is not null)
        {
            // Names only: Enum.TryParse would also take "2".
            if (int.TryParse(status, out _) || !Enum.TryParse<ProcessStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["status"] = [$"'{status}' is not a process status."] });
            wanted = parsed;
        }
        var ids = await indexes.All.ListAsync(ct);
        // GetBulkStateAsync refuses an empty key list (dotnet-sdk DaprClientGrpc.cs): nothing started yet is an empty list.
        if (ids.Count == 0) return TypedResults.Ok<IReadOnlyList<OrderProcessView>>([]);
        var items = await dapr.GetBulkStateAsync<OrderProcess>(service.StateStore, ids.Select(ProcessRunner.KeyOf).ToList(), parallelism: 8, cancellationToken: ct);
        IReadOnlyList<OrderProcessView> list = items.Select(i => i.Value).OfType<OrderProcess>()
            .Where(p => wanted is null || p.Status == wanted)
            .OrderByDescending(p => p.CreatedAt)
            .Select(OrderProcessViews.Of)
            .ToList();
        return TypedResults.Ok(list);
    }

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
