namespace DaprSaga.TestSidecar.Tests;

/// <summary>Fault plans whose first decisions a test relies on, found by trying seeds in order.</summary>
internal static class FaultPlans
{
    /// <summary>
    /// A plan injecting <paramref name="kind"/> at <paramref name="p"/>, on the first seed whose
    /// first rolls of <paramref name="kind"/> are <paramref name="prefix"/>.
    /// </summary>
    public static FaultPlan StartingWith(FaultKind kind, double p, params bool[] prefix)
    {
        for (var seed = 0; ; seed++)
        {
            var replica = new FaultPlan(seed).With(kind, p);
            if (prefix.All(expected => replica.Roll(kind) == expected)) return new FaultPlan(seed).With(kind, p);
        }
    }
}
