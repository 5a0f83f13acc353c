using System.Globalization;
using System.Text.RegularExpressions;

namespace DaprSaga.Components.Tests;

/// <summary>Values as daprd reads them from YAML strings.</summary>
public static partial class DaprValues
{
    /// <summary>
    /// A duration: a plain integer is milliseconds (dapr/kit config decode), anything else Go's
    /// time.ParseDuration syntax ("1m30s", "500ms").
    /// </summary>
    public static TimeSpan Duration(string value)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        var match = GoDuration().Match(value);
        if (!match.Success)
        {
            throw new FormatException($"'{value}' is not a Go duration.");
        }

        var total = TimeSpan.Zero;
        for (var i = 0; i < match.Groups["n"].Captures.Count; i++)
        {
            var n = double.Parse(match.Groups["n"].Captures[i].Value, CultureInfo.InvariantCulture);
            total += match.Groups["unit"].Captures[i].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                "ms" => TimeSpan.FromMilliseconds(n),
                "us" or "µs" => TimeSpan.FromMicroseconds(n),
                _ => TimeSpan.FromTicks((long)(n / 100)),
            };
        }

        return total;
    }

    /// <summary>
    /// publishingScopes / subscriptionScopes ("app=t1,t2;app2=t3") as daprd reads them
    /// (dapr pkg/scopes/scopes.go GetScopedTopics): spaces removed, then split on ';', '=' and ','.
    /// Entries daprd would silently skip or misread (no '=', two '=') are returned as problems.
    /// </summary>
    public static (IReadOnlyDictionary<string, IReadOnlyList<string>> Topics, IReadOnlyList<string> Problems) TopicScopes(
        string value)
    {
        var topics = new Dictionary<string, IReadOnlyList<string>>();
        var problems = new List<string>();
        foreach (var entry in value.Replace(" ", "", StringComparison.Ordinal).Split(';'))
        {
            if (entry.Length == 0)
            {
                continue;
            }

            var parts = entry.Split('=');
            if (parts.Length != 2)
            {
                problems.Add($"malformed entry '{entry}'");
            }
            else if (!topics.TryAdd(parts[0], parts[1].Split(',')))
            {
                problems.Add($"app '{parts[0]}' listed twice");
            }
        }

        return (topics, problems);
    }

    /// <summary>An httpStatusCodes / gRPCStatusCodes pattern ("408,429,500-504") as a code matcher (dapr pkg/resiliency/retry.go).</summary>
    public static Func<int, bool> StatusCodes(string patterns)
    {
        var ranges = patterns.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('-'))
            .Select(p => (Start: int.Parse(p[0], CultureInfo.InvariantCulture), End: int.Parse(p[^1], CultureInfo.InvariantCulture)))
            .ToList();
        return code => ranges.Count == 0 || ranges.Any(r => r.Start <= code && code <= r.End);
    }

    [GeneratedRegex(@"^(?:(?<n>\d+(?:\.\d+)?)(?<unit>ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex GoDuration();
}
