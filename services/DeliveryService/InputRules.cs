using System.Text.RegularExpressions;

namespace DaprSaga.DeliveryService;

/// <summary>The input limits of the service brief, checked before anything is stored.</summary>
public static partial class InputRules
{
    public const int MaxCapacity = 10_000;

    public const string IdRule = "1 to 64 characters of A-Z, a-z, 0-9, '-' or '_'.";

    /// <summary>1..64 of [A-Za-z0-9-_]: safe as part of a state key (never "||").</summary>
    public static bool IsId(string? value) => value is not null && IdPattern().IsMatch(value);

    public static bool IsZone(string? value) => HasLength(value, 32);

    public static bool IsName(string? value) => HasLength(value, 100);

    /// <summary>An enum value by name, case-insensitively; numbers ("1") are not names.</summary>
    public static bool TryParseName<TEnum>(string? value, out TEnum parsed) where TEnum : struct, Enum
    {
        parsed = default;
        return value is not null && !int.TryParse(value, out _)
            && Enum.TryParse(value, ignoreCase: true, out parsed) && Enum.IsDefined(parsed);
    }

    private static bool HasLength(string? value, int max) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= max && !value.Any(char.IsControl) && !value.Contains("||", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();
}
