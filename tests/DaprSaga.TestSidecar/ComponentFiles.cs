using DaprSaga.TestSidecar.Workflow;
using YamlDotNet.RepresentationModel;

namespace DaprSaga.TestSidecar;

/// <summary>
/// Reads the repository's real component files, so tests and the benchmark run under the scopes
/// `dapr run -f .` uses.
/// </summary>
public static class ComponentFiles
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The metadata (publishingScopes, subscriptionScopes, ...) of the default pub/sub component.</summary>
    public static IReadOnlyDictionary<string, string> PubSubMetadata()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot, "components", "pubsub", "redis", "pubsub.yaml"));
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var metadata = (YamlSequenceNode)((YamlMappingNode)root["spec"])["metadata"];
        return metadata.Cast<YamlMappingNode>().ToDictionary(
            m => ((YamlScalarNode)m["name"]).Value!,
            m => ((YamlScalarNode)m["value"]).Value ?? "");
    }

    /// <summary>
    /// spec.workflow.maxConcurrentWorkflowInvocations / maxConcurrentActivityInvocations of
    /// components/config.yaml; absent or not positive is no limit, as daprd reads them.
    /// </summary>
    public static (int? Workflows, int? Activities) WorkflowLimits()
    {
        if (ConfigurationWorkflow() is not { } workflow) return (null, null);
        int? Limit(string key) =>
            workflow.Children.TryGetValue(new YamlScalarNode(key), out var value)
            && int.TryParse(((YamlScalarNode)value).Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : null;
        return (Limit("maxConcurrentWorkflowInvocations"), Limit("maxConcurrentActivityInvocations"));
    }

    /// <summary>
    /// spec.workflow.stateRetentionPolicy of components/config.yaml (Go duration strings), or null
    /// when it is absent: daprd then never purges finished instances by itself.
    /// </summary>
    public static WorkflowStateRetention? WorkflowRetention()
    {
        if (ConfigurationWorkflow() is not { } workflow
            || !workflow.Children.TryGetValue(new YamlScalarNode("stateRetentionPolicy"), out var node)
            || node is not YamlMappingNode policy)
        {
            return null;
        }
        TimeSpan? Due(string key) =>
            policy.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ParseGoDuration(((YamlScalarNode)value).Value ?? "") : null;
        return new WorkflowStateRetention(Due("anyTerminal"), Due("completed"), Due("failed"), Due("terminated"));
    }

    private static YamlMappingNode? ConfigurationWorkflow()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot, "components", "config.yaml"));
        yaml.Load(reader);
        var spec = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["spec"];
        return spec.Children.TryGetValue(new YamlScalarNode("workflow"), out var node) ? node as YamlMappingNode : null;
    }

    /// <summary>
    /// Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?unit)+ with units ns, us, µs, ms, s, m, h,
    /// or "0"; nanoseconds are truncated to TimeSpan ticks. Refused as daprd refuses the file.
    /// </summary>
    public static TimeSpan ParseGoDuration(string text)
    {
        FormatException Invalid() => new($"time: invalid duration \"{text}\"");
        const ulong limit = 1UL << 63;
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s is "0") return TimeSpan.Zero;
        if (s.IsEmpty) throw Invalid();
        ulong total = 0;
        while (!s.IsEmpty)
        {
            if (s[0] is not ('.' or (>= '0' and <= '9'))) throw Invalid();
            ulong whole = 0;
            var wholeDigits = 0;
            for (; wholeDigits < s.Length && char.IsAsciiDigit(s[wholeDigits]); wholeDigits++)
            {
                if (whole > (limit - 1) / 10) throw Invalid();
                whole = whole * 10 + (ulong)(s[wholeDigits] - '0');
                if (whole > limit) throw Invalid();
            }
            s = s[wholeDigits..];
            ulong fraction = 0;
            double scale = 1;
            var fractionDigits = 0;
            if (!s.IsEmpty && s[0] == '.')
            {
                s = s[1..];
                var overflowed = false;
                for (; fractionDigits < s.Length && char.IsAsciiDigit(s[fractionDigits]); fractionDigits++)
                {
                    // leadingFraction: digits past int64 precision are consumed and ignored.
                    if (overflowed || fraction > (limit - 1) / 10)
                    {
                        overflowed = true;
                        continue;
                    }
                    var next = fraction * 10 + (ulong)(s[fractionDigits] - '0');
                    if (next > limit)
                    {
                        overflowed = true;
                        continue;
                    }
                    fraction = next;
                    scale *= 10;
                }
                s = s[fractionDigits..];
            }
            if (wholeDigits == 0 && fractionDigits == 0) throw Invalid();
            var unitLength = 0;
            while (unitLength < s.Length && s[unitLength] is not ('.' or (>= '0' and <= '9'))) unitLength++;
            if (unitLength == 0) throw new FormatException($"time: missing unit in duration \"{text}\"");
            var unitName = s[..unitLength].ToString();
            s = s[unitLength..];
            ulong unit = unitName switch
            {
                "ns" => 1,
                "us" or "µs" or "μs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                _ => throw new FormatException($"time: unknown unit \"{unitName}\" in duration \"{text}\""),
            };
            if (whole > limit / unit) throw Invalid();
            whole *= unit;
            if (fraction > 0)
            {
                whole += (ulong)(fraction * (unit / scale));
                if (whole > limit) throw Invalid();
            }
            total += whole;
            if (total > limit) throw Invalid();
        }
        if (!negative && total > limit - 1) throw Invalid();
        var nanoseconds = unchecked(negative ? -(long)total : (long)total);
        return TimeSpan.FromTicks(nanoseconds / 100);
    }

    /// <summary>
    /// The state stores of components/state/{<paramref name="stateSet"/>} that <paramref name="appId"/>
    /// may load (its scopes), as daprd would load them.
    /// </summary>
    public static IReadOnlyList<string> StateStoresOf(string appId, string stateSet = "redis") =>
        StateStores(stateSet).Where(s => s.Scopes.Count == 0 || s.Scopes.Contains(appId)).Select(s => s.Name).ToList();

    /// <summary>
    /// The state store <paramref name="appId"/> loads with `actorStateStore: "true"`, or null. daprd
    /// allows one at most: a second fails the actor runtime, so that is refused here too.
    /// </summary>
    public static string? ActorStateStoreOf(string appId, string stateSet = "redis")
    {
        var actorStores = StateStores(stateSet)
            .Where(s => s.IsActorStore && (s.Scopes.Count == 0 || s.Scopes.Contains(appId)))
            .Select(s => s.Name)
            .ToList();
        if (actorStores.Count > 1)
            throw new InvalidOperationException($"{appId} loads more than one actor state store: {string.Join(", ", actorStores)}");
        return actorStores.SingleOrDefault();
    }

    private sealed record StateStoreFile(string Name, IReadOnlyList<string> Scopes, bool IsActorStore);

    private static List<StateStoreFile> StateStores(string stateSet)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot, "components", "state", stateSet, "statestores.yaml"));
        yaml.Load(reader);
        var stores = new List<StateStoreFile>();
        foreach (var document in yaml.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var name = ((YamlScalarNode)((YamlMappingNode)root["metadata"])["name"]).Value!;
            var metadata = ((YamlSequenceNode)((YamlMappingNode)root["spec"])["metadata"]).Cast<YamlMappingNode>();
            // daprd reads the flag with utils.IsTruthy ("true", "1", "yes", "y", "on", any case).
            var isActorStore = metadata.Any(m => ((YamlScalarNode)m["name"]).Value == "actorStateStore"
                && ((YamlScalarNode)m["value"]).Value?.ToLowerInvariant() is "true" or "1" or "yes" or "y" or "on");
            var scopes = root.Children.TryGetValue(new YamlScalarNode("scopes"), out var node) && node is YamlSequenceNode list
                ? list.Cast<YamlScalarNode>().Select(s => s.Value ?? "").ToList()
                : [];
            stores.Add(new StateStoreFile(name, scopes, isActorStore));
        }
        return stores;
    }

    /// <summary>
    /// The schedule of every cron binding in components/common/cron-bindings.yaml. Only the
    /// "@every &lt;duration&gt;" form is read (the one the repository uses); anything else is refused.
    /// </summary>
    public static IReadOnlyDictionary<string, TimeSpan> CronSchedules()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot, "components", "common", "cron-bindings.yaml"));
        yaml.Load(reader);
        var schedules = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var document in yaml.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var name = ((YamlScalarNode)((YamlMappingNode)root["metadata"])["name"]).Value!;
            var schedule = ((YamlSequenceNode)((YamlMappingNode)root["spec"])["metadata"]).Cast<YamlMappingNode>()
                .Single(m => ((YamlScalarNode)m["name"]).Value == "schedule");
            schedules[name] = ParseEvery(((YamlScalarNode)schedule["value"]).Value ?? "");
        }
        return schedules;
    }

    // Go's time.ParseDuration for the units the repository uses (s, m, h), e.g. "@every 10s".
    private static TimeSpan ParseEvery(string schedule)
    {
        if (schedule.StartsWith("@every ", StringComparison.Ordinal) && schedule.Length > 8
            && int.TryParse(schedule.AsSpan(7, schedule.Length - 8), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            switch (schedule[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
            }
        }
        throw new FormatException($"cron schedule '{schedule}' is not of the form '@every <n>s|m|h'");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DaprSaga.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No DaprSaga.sln above {AppContext.BaseDirectory}.");
    }
}
