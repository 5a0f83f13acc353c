namespace DaprSaga.RealDapr.Tests;

/// <summary>Every container image the real-Dapr tests run, pinned here and nowhere else.</summary>
public static class Images
{
    /// <summary>
    /// The daprd runtime. 1.19 is the runtime minor of the Dapr .NET SDK this repository builds
    /// against (Dapr.Client 1.19.0, Directory.Packages.props) and of the sources docs/dapr.md
    /// cites; SDK minors ship after their runtime minor.
    /// </summary>
    public const string DaprVersion = "1.19.0";

    public const string Daprd = "daprio/daprd:" + DaprVersion;

    /// <summary>Actor placement, which Dapr Workflow runs on; the control plane is versioned with daprd.</summary>
    public const string Placement = "daprio/placement:" + DaprVersion;

    /// <summary>The scheduler, which holds Dapr Workflow's timers and reminders.</summary>
    public const string Scheduler = "daprio/scheduler:" + DaprVersion;

    /// <summary>State stores for every broker variant, and the default Redis Streams broker.</summary>
    public const string Redis = "redis:7.4";

    public const string RabbitMq = "rabbitmq:4.1";

    /// <summary>Apache Kafka in KRaft mode (Testcontainers picks its Apache vendor setup from the name).</summary>
    public const string Kafka = "apache/kafka:3.9.1";
}
