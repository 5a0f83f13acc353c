using DaprSaga.Contracts;

namespace DaprSaga.OrderService.Orders;

/// <summary>The body of POST /orders; every field optional to the parser, so a missing one is reported by name.</summary>
public sealed record PlaceOrderRequest(
    string? CustomerId = null, IReadOnlyList<OrderLineRequest?>? Items = null, string? DeliveryZone = null, bool? AutoConfirmPayment = null);

public sealed record OrderLineRequest(string? ProductId = null, int? Quantity = null, decimal? UnitPrice = null);

/// <summary>The input limits of the service brief; errors are keyed by the field's JSON path.</summary>
public static class OrderInput
{
    public const int MaxItems = 50;

    public const string IdMessage = "1..64 characters of A-Z, a-z, 0-9, '-' or '_'";

    public static bool IsId(string? id) =>
        id is { Length: >= 1 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Validates <paramref name="request"/>; on success <paramref name="order"/> is set and the result is empty.</summary>
    public static Dictionary<string, string[]> Validate(PlaceOrderRequest? request, out NewOrder? order)
    {
        order = null;
        var errors = new Dictionary<string, string[]>();
        if (request is null) return Error(errors, "body", "a JSON object is required");

        if (!IsId(request.CustomerId)) Error(errors, "customerId", IdMessage);
        if (request.DeliveryZone is not { Length: >= 1 and <= 32 } zone || string.IsNullOrWhiteSpace(zone) || zone.Contains("||", StringComparison.Ordinal) || zone.Any(char.IsControl))
            Error(errors, "deliveryZone", "1..32 characters");

        var items = request.Items ?? [];
        if (items.Count is 0 or > MaxItems) Error(errors, "items", $"1..{MaxItems} lines");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var field = $"items[{i}]";
            if (items[i] is not { } line)
            {
                Error(errors, field, "a line {productId, quantity, unitPrice} is required");
                continue;
            }
            if (!IsId(line.ProductId)) Error(errors, $"{field}.productId", IdMessage);
            else if (!seen.Add(line.ProductId!)) Error(errors, $"{field}.productId", "each product may appear on one line only");
            if (line.Quantity is not (>= 1 and <= 1000)) Error(errors, $"{field}.quantity", "1..1000");
            if (!IsMoney(line.UnitPrice)) Error(errors, $"{field}.unitPrice", "0..1000000 with at most 2 decimals");
        }
        if (errors.Count > 0) return errors;

        order = new NewOrder(
            request.CustomerId!,
            items.Select(l => new OrderLine(l!.ProductId!, l.Quantity!.Value, l.UnitPrice!.Value)).ToList(),
            request.DeliveryZone!,
            // Choreography waits for the customer's confirm unless asked otherwise.
            request.AutoConfirmPayment ?? false);
        return errors;
    }

    private static bool IsMoney(decimal? value) =>
        value is >= 0m and <= 1_000_000m && decimal.Round(value.Value, 2) == value.Value;

    private static Dictionary<string, string[]> Error(Dictionary<string, string[]> errors, string field, string message)
    {
        errors[field] = [message];
        return errors;
    }
}
