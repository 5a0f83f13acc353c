using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprSaga.PaymentService.Customers;

/// <summary>Register customers and read their credit.</summary>
public static class CustomersApi
{
    /// <summary>POST /customers body; optional members here, so a missing one is named in the 400.</summary>
    public sealed record NewCustomer
    {
        public string? Name { get; init; }

        public decimal? Credit { get; init; }
    }

    public static RouteGroupBuilder MapCustomersApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/customers").WithTags("Customers");
        group.MapPost("/", CreateAsync).Accepts<NewCustomer>("application/json");
        group.MapGet("/{customerId}", GetAsync);
        return group;
    }

    public static async Task<Results<Created<CustomerView>, ValidationProblem>> CreateAsync(
        HttpRequest request, CustomerStore customers, CancellationToken cancellationToken)
    {
        var (body, bodyErrors) = await RequestJson.ReadAsync<NewCustomer>(request, cancellationToken);
        if (bodyErrors is not null) return TypedResults.ValidationProblem(bodyErrors);

        var errors = new Dictionary<string, string[]>();
        if (!InputRules.IsName(body?.Name)) errors["name"] = [InputRules.NameMessage];
        if (body?.Credit is not { } credit || !InputRules.IsMoney(credit)) errors["credit"] = [InputRules.MoneyMessage];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var customer = await customers.CreateAsync(
            Customer.Open(Guid.NewGuid().ToString("N"), body!.Name!.Trim(), body.Credit!.Value), cancellationToken);
        return TypedResults.Created($"/customers/{customer.CustomerId}", CustomerView.Of(customer));
    }

    public static async Task<Results<Ok<CustomerView>, NotFound, ValidationProblem>> GetAsync(
        string customerId, CustomerStore customers, CancellationToken cancellationToken)
    {
        if (InputErrors.ForId(nameof(customerId), customerId) is { } errors) return TypedResults.ValidationProblem(errors);
        return await customers.FindAsync(customerId, cancellationToken) is { } customer
            ? TypedResults.Ok(CustomerView.Of(customer))
            : TypedResults.NotFound();
    }
}
