using System.Text.RegularExpressions;

namespace DaprSaga.Components.Tests;

/// <summary>Each resource file on its own: kinds, versions, the metadata its component type needs.</summary>
public sealed partial class ComponentFileTests
{
    private static readonly Dictionary<string, string> ApiVersionOfKind = new()
    {
        [DaprResource.Component] = "dapr.io/v1alpha1",
        [DaprResource.Resiliency] = "dapr.io/v1alpha1",
        [DaprResource.Configuration] = "dapr.io/v1alpha1",
        [DaprResource.Subscription] = "dapr.io/v2alpha1",
    };

    /// <summary>
    /// Per component type: spec.version, and the metadata that must be set, each entry a set of
    /// alternatives (components-contrib */metadata.yaml, "required: true" or an auth profile's field).
    /// </summary>
    private static readonly Dictionary<string, (string Version, string[][] Required)> KnownTypes = new()
    {
        ["pubsub.redis"] = ("v1", [["redisHost"]]),
        ["pubsub.rabbitmq"] = ("v1", [["connectionString", "hostname"]]),
        ["pubsub.kafka"] = ("v1", [["brokers"], ["authType"]]),
        ["state.redis"] = ("v1", [["redisHost"]]),
        ["state.postgresql"] = ("v2", [["connectionString"]]),
        ["bindings.cron"] = ("v1", [["schedule"]]),
    };

    [Fact]
    public void EveryYamlFileUnderComponentsAndTheRunFileParses()
    {
        var files = Repo.YamlFilesUnder(Repo.Components).ToList();

        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.NotEmpty(DaprResource.LoadFile(f)));
        Assert.Equal("1", RunFile.Load().Root.Scalar("version"));
    }

    [Fact]
    public void EveryResourceHasAKnownKindAndApiVersion()
    {
        Assert.All(DaprResource.All(), r =>
        {
            Assert.True(ApiVersionOfKind.TryGetValue(r.Kind, out var apiVersion), $"{r}: unknown kind");
            Assert.Equal(apiVersion, r.ApiVersion);
        });
    }

    [Fact]
    public void EveryResourceNameIsALowercaseDnsLabel()
    {
        // daprd rejects names that are not a valid path segment; the apps' names are DNS labels.
        Assert.All(DaprResource.All(), r => Assert.Matches(DnsLabel(), r.Name));
    }

    [Fact]
    public void EveryComponentIsOfAKnownTypeAndVersionWithTheMetadataItRequires()
    {
        Assert.All(DaprResource.All().Where(r => r.Kind == DaprResource.Component), c =>
        {
            Assert.True(KnownTypes.TryGetValue(c.Type, out var known), $"{c}: no required-metadata rule for type '{c.Type}'");
            Assert.Equal(known.Version, c.Version);
            var missing = known.Required
                .Where(alternatives => !alternatives.Any(name => c.Metadata.TryGetValue(name, out var v) && v.Length > 0))
                .Select(alternatives => string.Join(" or ", alternatives));
            Assert.Empty(missing);
        });
    }

    /// <summary>
    /// RabbitMQ: queues are durable and outlive their consumers, failed deliveries are requeued.
    /// Kafka: new consumer groups start at the oldest offset, failed deliveries are retried.
    /// </summary>
    [Theory]
    [InlineData("pubsub.rabbitmq", "durable", "true")]
    [InlineData("pubsub.rabbitmq", "deletedWhenUnused", "false")]
    [InlineData("pubsub.rabbitmq", "requeueInFailure", "true")]
    [InlineData("pubsub.kafka", "initialOffset", "oldest")]
    [InlineData("pubsub.kafka", "consumeRetryEnabled", "true")]
    public void RabbitMqAndKafkaKeepAMessageUntilItsHandlerTakesIt(string type, string setting, string value)
    {
        var brokers = ComponentsOfType(type);

        Assert.NotEmpty(brokers);
        Assert.All(brokers, c => Assert.Equal(value, c.Metadata.GetValueOrDefault(setting)));
    }

    [Fact]
    public void EachAppIsItsOwnConsumerGroupBecauseNoBrokerOverridesTheConsumerId()
    {
        // daprd sets consumerID to the app id when it is empty (dapr pkg/runtime/processor/pubsub).
        Assert.All(DaprResource.All().Where(r => r.Type.StartsWith("pubsub.", StringComparison.Ordinal)), c =>
        {
            Assert.DoesNotContain("consumerID", c.Metadata.Keys);
            Assert.DoesNotContain("consumerGroup", c.Metadata.Keys);
        });
    }

    [Fact]
    public void RedisRedeliverIntervalIsWrittenInMillisecondsBecauseDurationsAreIgnoredThere()
    {
        // components-contrib common/component/redis: RedeliverInterval has mapstructure:"-" and is
        // set only from a plain integer of milliseconds; "10s" would leave the default in place.
        Assert.All(ComponentsOfType("pubsub.redis"), c =>
        {
            Assert.True(c.Metadata.TryGetValue("redeliverInterval", out var value), $"{c}: redeliverInterval not set");
            Assert.Matches("^[0-9]+$", value);
        });
    }

    [Fact]
    public void CronSchedulesParse()
    {
        var crons = ComponentsOfType("bindings.cron");

        Assert.NotEmpty(crons);
        Assert.All(crons, c =>
        {
            var schedule = c.Metadata["schedule"];
            const string every = "@every ";
            if (schedule.StartsWith(every, StringComparison.Ordinal))
            {
                Assert.True(DaprValues.Duration(schedule[every.Length..]) > TimeSpan.Zero, $"{c}: empty interval");
            }
            else
            {
                // robfig/cron with optional seconds (components-contrib bindings/cron/cron.go).
                Assert.InRange(schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length, 5, 6);
            }
        });
    }

    [Fact]
    public void TheConfigurationSamplesEveryTraceToTheLocalZipkinAndEnablesMetrics()
    {
        var path = RunFile.Load().ConfigFilePath;
        Assert.NotNull(path);
        var config = Assert.Single(DaprResource.LoadFile(Repo.Resolve(path)));

        Assert.Equal(DaprResource.Configuration, config.Kind);
        var tracing = config.Spec.Mapping("tracing");
        Assert.Equal("1", tracing.Scalar("samplingRate"));
        Assert.Equal("http://localhost:9411/api/v2/spans", tracing.Mapping("zipkin").Scalar("endpointAddress"));
        Assert.Equal("true", config.Spec.Mapping("metrics").Scalar("enabled"));
    }

    private static List<DaprResource> ComponentsOfType(string type) =>
        DaprResource.All().Where(r => r.Kind == DaprResource.Component && r.Type == type).ToList();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
