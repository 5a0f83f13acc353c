using DaprSaga.Contracts;

namespace DaprSaga.Bench.Driver;

public sealed record BenchOptions(
    IReadOnlyList<SagaFlow> Flows, int Sagas, int Concurrency, int Warmup, TimeSpan HopDuration, string? JsonPath, int PacedSagas)
{
    public const string Usage =
        "usage: DaprSaga.Bench [--flow choreography|orchestration|both] [--sagas N] [--concurrency C] [--json path]\n" +
        "                      [--warmup N] [--hop-seconds S] [--paced N]";

    public static BenchOptions? Parse(string[] args)
    {
        IReadOnlyList<SagaFlow> flows = [SagaFlow.Choreography, SagaFlow.Orchestration];
        int sagas = 2000, concurrency = 64;
        int? warmup = null, paced = null;
        double hopSeconds = 3;
        string? json = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--flow" when value is "choreography": flows = [SagaFlow.Choreography]; break;
                case "--flow" when value is "orchestration": flows = [SagaFlow.Orchestration]; break;
                case "--flow" when value is "both": break;
                case "--sagas" when int.TryParse(value, out sagas) && sagas > 0: break;
                case "--concurrency" when int.TryParse(value, out concurrency) && concurrency > 0: break;
                case "--warmup" when int.TryParse(value, out var w) && w >= 0: warmup = w; break;
                case "--paced" when int.TryParse(value, out var p) && p >= 0: paced = p; break;
                case "--hop-seconds" when double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out hopSeconds) && hopSeconds > 0: break;
                case "--json" when value is not null: json = value; break;
                default: return null;
            }
            i++;
        }
        return new BenchOptions(flows, sagas, concurrency, warmup ?? Math.Min(200, Math.Max(20, sagas / 10)),
            TimeSpan.FromSeconds(hopSeconds), json, paced ?? Math.Max(20, sagas / 10));
    }
}
