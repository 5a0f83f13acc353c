namespace DaprSaga.InventoryService;

/// <summary>The input limits every DaprSaga API shares, as field → message pairs for a 400.</summary>
public static class InputRules
{
    public const int MaxQuantity = 1000;
    public const decimal MaxMoney = 1_000_000m;
    public const int MaxStock = 1_000_000_000;
    public const string IdMessage = "must be 1..64 characters of A-Z, a-z, 0-9, - or _";

    /// <summary>1..64 chars of [A-Za-z0-9-_]; that also keeps Dapr's "||" key separator out.</summary>
    public static bool IsId(string? value) =>
        value is { Length: >= 1 and <= 64 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static bool IsMoney(decimal value) => value is >= 0 and <= MaxMoney && decimal.Round(value, 2) == value;

    public static bool IsName(string? value) => value is { Length: >= 1 and <= 100 } && !string.IsNullOrWhiteSpace(value) && !value.Any(char.IsControl);
}
