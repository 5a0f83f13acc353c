namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// The real resource files of components/ (common, Redis state stores, one broker), as daprd
/// reads them from one flat folder, with the broker hosts rewritten from the `dapr init`
/// defaults on localhost to the containers' aliases on the test network.
/// </summary>
public static class ComponentSet
{
    public const string RedisAlias = "redis";
    public const string RabbitMqAlias = "rabbitmq";
    public const string KafkaAlias = "kafka";

    /// <summary>
    /// The Kafka listener for other containers on the network (Testcontainers' WithListener):
    /// the broker's default listeners advertise addresses only the test host can reach.
    /// </summary>
    public const int KafkaInternalPort = 19092;

    /// <summary>RabbitMQ's `guest` account may only log in from localhost, so the broker gets its own.</summary>
    public const string RabbitMqUser = "daprsaga";
    public const string RabbitMqPassword = "daprsaga";

    public static string RepoRoot { get; } = FindRoot();

    /// <summary>File name → content of every resource daprd loads for <paramref name="broker"/>.</summary>
    public static IReadOnlyDictionary<string, string> For(Broker broker)
    {
        var redisHost = new Rewrite("localhost:6379", $"{RedisAlias}:6379");
        var folders = new (string Folder, Rewrite? Rewrite)[]
        {
            (Path.Combine("components", "common"), null),
            (Path.Combine("components", "state", "redis"), redisHost),
            broker switch
            {
                Broker.Redis => (Path.Combine("components", "pubsub", "redis"), redisHost),
                Broker.RabbitMq => (Path.Combine("components", "pubsub", "rabbitmq"), new Rewrite(
                    "amqp://localhost:5672", $"amqp://{RabbitMqUser}:{RabbitMqPassword}@{RabbitMqAlias}:5672")),
                Broker.Kafka => (Path.Combine("components", "pubsub", "kafka"), new Rewrite(
                    "localhost:9092", $"{KafkaAlias}:{KafkaInternalPort}")),
                _ => throw new ArgumentOutOfRangeException(nameof(broker), broker, null),
            },
        };

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (folder, rewrite) in folders)
        {
            // daprd reads the YAML files directly inside a resources folder, not its subfolders
            // (dapr pkg/internal/loader/disk), as dapr.yaml's comment says.
            foreach (var path in Directory.EnumerateFiles(Path.Combine(RepoRoot, folder), "*.yaml").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                var text = File.ReadAllText(path);
                if (rewrite is not null) text = rewrite.Apply(text, Path.Combine(folder, name));
                if (!files.TryAdd(name, text))
                    throw new InvalidOperationException($"Two resource files are named {name}; one folder in the container cannot hold both.");
            }
        }

        var leftOnLocalhost = files
            .SelectMany(f => f.Value.Split('\n').Select(line => (File: f.Key, Line: line.Trim())))
            .Where(l => !l.Line.StartsWith('#') && l.Line.Contains("localhost", StringComparison.Ordinal))
            .ToList();
        if (leftOnLocalhost.Count > 0)
        {
            throw new InvalidOperationException(
                "Inside a container localhost is the container itself; still pointing there: "
                + string.Join("; ", leftOnLocalhost.Select(l => $"{l.File}: {l.Line}")));
        }
        return files;
    }

    private sealed record Rewrite(string From, string To)
    {
        public string Apply(string text, string file) =>
            text.Contains(From, StringComparison.Ordinal)
                ? text.Replace(From, To, StringComparison.Ordinal)
                : throw new InvalidOperationException($"{file} no longer contains '{From}'; update the rewrite in {nameof(ComponentSet)}.");
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
