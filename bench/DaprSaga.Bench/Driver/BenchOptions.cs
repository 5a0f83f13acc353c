namespace DaprSaga.Bench.Driver;

/// <summary>
/// A flow the benchmark drives: the choreography (POST /orders), or the orchestration on one of
/// order-process-service's two engines (POST /order-processes with that engine named).
/// </summary>
public enum BenchFlow { Choreography, Runner, Workflow }

public sealed record BenchOptions(
    IReadOnlyList<BenchFlow> Flows, int Sagas, int Concurrency, int Warmup, TimeSpan HopDuration, string? JsonPath, int PacedSagas,
    int SoakSagas = 0, string? SoakDumps = null)
{
    public const string Usage =
        "usage: DaprSaga.Bench [--flow choreography|runner|workflow|all] [--sagas N] [--concurrency C] [--json path]\n" +
        "                      [--warmup N] [--hop-seconds S] [--paced N] [--soak N] [--soak-dumps dir]\n" +
        "  --soak: N more sagas at half the peak rate, memory and stored keys sampled ten times on the way;\n" +
        "  --soak-dumps: a dotnet-gcdump of the services process at each soak sample, into dir\n" +
        "          (and BENCH_TRACE_RENTS=bytes: who rents arrays that big from ArrayPool<byte>.Shared);\n" +
        "  --flow: all (the default) runs the three one after the other, each on a fresh cluster;\n" +
        "          orchestration is runner, both is choreography and runner.";

    public static BenchOptions? Parse(string[] args)
    {
        IReadOnlyList<BenchFlow> flows = [BenchFlow.Choreography, BenchFlow.Runner, BenchFlow.Workflow];
        int sagas = 2000, concurrency = 64;
        int? warmup = null, paced = null;
        var soak = 0;
        double hopSeconds = 3;
        string? json = null, dumps = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--flow" when value is "choreography": flows = [BenchFlow.Choreography]; break;
                case "--flow" when value is "runner" or "orchestration": flows = [BenchFlow.Runner]; break;
                case "--flow" when value is "workflow": flows = [BenchFlow.Workflow]; break;
                case "--flow" when value is "both": flows = [BenchFlow.Choreography, BenchFlow.Runner]; break;
                case "--flow" when value is "all": flows = [BenchFlow.Choreography, BenchFlow.Runner, BenchFlow.Workflow]; break;
                case "--sagas" when int.TryParse(value, out sagas) && sagas > 0: break;
                case "--concurrency" when int.TryParse(value, out concurrency) && concurrency > 0: break;
                case "--warmup" when int.TryParse(value, out var w) && w >= 0: warmup = w; break;
                case "--paced" when int.TryParse(value, out var p) && p >= 0: paced = p; break;
                case "--soak" when int.TryParse(value, out soak) && soak >= 0: break;
                case "--hop-seconds" when double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out hopSeconds) && hopSeconds > 0: break;
                case "--json" when value is not null: json = value; break;
                case "--soak-dumps" when value is not null: dumps = Path.GetFullPath(value); break;
                default: return null;
            }
            i++;
        }
        // As many warm-up sagas as measured: fewer, and the window still pays the JIT for tiering the code up.
        return new BenchOptions(flows, sagas, concurrency, warmup ?? sagas,
            TimeSpan.FromSeconds(hopSeconds), json, paced ?? Math.Max(20, sagas / 10), soak, dumps);
    }
}
