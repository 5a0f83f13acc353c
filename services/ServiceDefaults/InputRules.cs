using DaprSaga.Contracts;

namespace DaprSaga.ServiceDefaults;

/// <summary>The input limits every API shares, each with the one wording of its 400. Ids go into state keys: never "||".</summary>
public static class InputRules
{
    public const int MaxQuantity = 1000;
    public const decimal MaxMoney = 1_000_000m;
    public const int MaxOrderLines = 50;
    public const int MaxStock = 1_000_000_000;
    public const int MaxCapacity = 10_000;

    public const decimal MaxAmount = MaxOrderLines * MaxQuantity * MaxMoney;

    public const string IdMessage = "must be 1 to 64 characters of A-Z, a-z, 0-9, '-' or '_'";
    public const string NameMessage = "must be 1 to 100 characters";
    public const string ZoneMessage = "must be 1 to 32 characters";
    public const string QuantityMessage = "must be between 1 and 1000";
    public const string MoneyMessage = "must be between 0 and 1000000 with at most 2 decimals";
    public const string AmountMessage = "must be between 0 and 50000000000 with at most 2 decimals";
    public const string RequiredMessage = "is required";

    public static bool IsId(string? value) =>
        value is { Length: >= 1 and <= 64 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static bool IsName(string? value) => IsText(value, 100);

    public static bool IsZone(string? value) => IsText(value, 32);

    public static bool IsQuantity(int? value) => value is >= 1 and <= MaxQuantity;

    public static bool IsMoney(decimal? value) => value is >= 0 and <= MaxMoney && decimal.Round(value.Value, 2) == value.Value;

    /// <summary>A payment amount: an order's total. A larger one can only be forged.</summary>
    public static bool IsAmount(decimal? value) => value is >= 0 and <= MaxAmount && decimal.Round(value.Value, 2) == value.Value;

    public static string NamesOf<TEnum>() where TEnum : struct, Enum => $"must be one of {string.Join(", ", Enum.GetNames<TEnum>())}";

    /// <summary>An enum value by name, case-insensitively; numbers ("1") are not names.</summary>
    public static bool TryParseName<TEnum>(string? value, out TEnum parsed) where TEnum : struct, Enum
    {
        parsed = default;
        return value is not null && !int.TryParse(value, out _)
            && Enum.TryParse(value, ignoreCase: true, out parsed) && Enum.IsDefined(parsed);
    }

    private static bool IsText(string? value, int max) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= max && !value.Any(char.IsControl) && !value.Contains("||", StringComparison.Ordinal);
}

public sealed class InputErrors : Dictionary<string, string[]>
{
    public InputErrors() : base(StringComparer.Ordinal) { }

    public bool Check(bool holds, string field, string message)
    {
        if (!holds) this[field] = [message];
        return holds;
    }

    /// <summary>An enum field names one of its members; absent is an error only when <paramref name="required"/>.</summary>
    public bool CheckName<TEnum>(TEnum? value, string field, bool required = true) where TEnum : struct, Enum =>
        Check(value is { } sent ? Enum.IsDefined(sent) : !required, field, InputRules.NamesOf<TEnum>());

    public static InputErrors Of(string field, string message) => new() { [field] = [message] };

    public static InputErrors? ForId(string field, string? value) => InputRules.IsId(value) ? null : Of(field, InputRules.IdMessage);
}

/// <summary>The one check of a new order, for POST /orders and POST /order-processes alike.</summary>
public static class NewOrderRules
{
    /// <param name="orchestrated">POST /order-processes: the engine may be named, and the payment confirms itself unless told otherwise.</param>
    public static InputErrors Validate(PlaceOrder? request, bool orchestrated, out NewOrder? order)
    {
        order = null;
        var errors = new InputErrors();
        if (request is null) return InputErrors.Of("body", "must be a JSON object");

        errors.Check(InputRules.IsId(request.CustomerId), "customerId", InputRules.IdMessage);
        errors.Check(InputRules.IsZone(request.DeliveryZone), "deliveryZone", InputRules.ZoneMessage);
        SagaEngine? engine = null;
        if (request.Engine is not null)
        {
            if (!orchestrated) errors.Check(false, "engine", "is chosen on POST /order-processes; POST /orders runs the choreography");
            else if (errors.Check(InputRules.TryParseName<SagaEngine>(request.Engine, out var parsed), "engine", InputRules.NamesOf<SagaEngine>())) engine = parsed;
        }

        var items = request.Items ?? [];
        errors.Check(items.Count is >= 1 and <= InputRules.MaxOrderLines, "items", $"must have 1 to {InputRules.MaxOrderLines} lines");
        var products = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var field = $"items[{i}]";
            if (!errors.Check(items[i] is not null, field, "must be a line {productId, quantity, unitPrice}")) continue;
            var line = items[i]!;
            if (errors.Check(InputRules.IsId(line.ProductId), $"{field}.productId", InputRules.IdMessage))
                errors.Check(products.Add(line.ProductId!), $"{field}.productId", "must appear on one line only");
            errors.Check(InputRules.IsQuantity(line.Quantity), $"{field}.quantity", InputRules.QuantityMessage);
            errors.Check(InputRules.IsMoney(line.UnitPrice), $"{field}.unitPrice", InputRules.MoneyMessage);
        }
        if (errors.Count > 0) return errors;

        order = new NewOrder(
            request.CustomerId!,
            items.Select(l => new OrderLine(l!.ProductId!, l.Quantity!.Value, l.UnitPrice!.Value)).ToList(),
            request.DeliveryZone!,
            // Unless told otherwise, a choreography waits for the customer's confirm; the orchestrator confirms.
            request.AutoConfirmPayment ?? orchestrated,
            engine);
        return errors;
    }
}
