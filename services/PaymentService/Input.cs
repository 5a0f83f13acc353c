namespace DaprSaga.PaymentService;

/// <summary>The input limits of the brief, each answering with a field → message entry.</summary>
public static class Input
{
    public const decimal MaxMoney = 1_000_000m;

    /// <summary>1..64 characters of [A-Za-z0-9-_]: safe as part of a state key (never "||").</summary>
    public static bool IsId(string? value) =>
        value is { Length: >= 1 and <= 64 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static bool IsName(string? value) => !string.IsNullOrWhiteSpace(value) && value.Length <= 100 && !value.Any(char.IsControl);

    /// <summary>0..1,000,000 with at most 2 decimals.</summary>
    public static bool IsMoney(decimal value) => value is >= 0 and <= MaxMoney && decimal.Round(value, 2) == value;

    /// <summary>The largest order total: 50 lines of 1000 at the price limit.</summary>
    public const decimal MaxAmount = 50 * 1000 * MaxMoney;

    /// <summary>
    /// A payment amount: an order's total, 0..<see cref="MaxAmount"/> with at most 2 decimals; a
    /// larger one can only be forged, and would make credit arithmetic meaningless.
    /// </summary>
    public static bool IsAmount(decimal value) => value is >= 0 and <= MaxAmount && decimal.Round(value, 2) == value;

    public static Dictionary<string, string[]>? IdErrors(string field, string? value) =>
        IsId(value) ? null : new() { [field] = [IdMessage] };

    public const string IdMessage = "must be 1 to 64 characters of A-Z, a-z, 0-9, '-' or '_'";

    public const string NameMessage = "must be 1 to 100 characters";

    public const string MoneyMessage = "must be between 0 and 1000000 with at most 2 decimals";

    public const string AmountMessage = "must be between 0 and 50000000000 with at most 2 decimals";
}
