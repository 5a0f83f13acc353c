using System.Globalization;

namespace DaprSaga.Scenarios.Tests.Storm;

/// <summary>
/// Which storms to run. CI runs a fixed set of seeds; DAPRSAGA_STORM_SEED=n replays exactly one;
/// DAPRSAGA_STORM_SEEDS=count runs that many fresh seeds (a longer run); DAPRSAGA_STORM_ORDERS=n
/// changes the number of orders per storm.
/// </summary>
public static class StormSettings
{
    public const string SeedVariable = "DAPRSAGA_STORM_SEED";
    public const string SeedCountVariable = "DAPRSAGA_STORM_SEEDS";
    public const string OrderCountVariable = "DAPRSAGA_STORM_ORDERS";

    /// <summary>The seeds CI runs: fixed, so a red build can always be replayed.</summary>
    public static readonly IReadOnlyList<int> CiSeeds = [11, 2026];

    public const int DefaultOrderCount = 120;

    public static IEnumerable<int> Seeds()
    {
        if (Number(SeedVariable) is { } seed) return [seed];
        if (Number(SeedCountVariable) is { } count and > 0)
        {
            // Fresh seeds each run; every one is printed in its summary and its failure message.
            var source = new Random();
            return Enumerable.Range(0, count).Select(_ => source.Next(1, int.MaxValue)).ToList();
        }
        return CiSeeds;
    }

    public static int OrderCount => Number(OrderCountVariable) is { } n and > 0 ? n : DefaultOrderCount;

    public static string ReplayCommand(int seed) =>
        $"{SeedVariable}={seed} dotnet test tests/DaprSaga.Scenarios.Tests --filter FullyQualifiedName~FaultStorm";

    private static int? Number(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}
