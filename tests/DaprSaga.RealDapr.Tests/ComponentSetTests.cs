namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// What the sidecar containers are given, checked without Docker: the real component files with
/// every broker host pointed at a container alias instead of localhost.
/// </summary>
public sealed class ComponentSetTests
{
    [Theory]
    [InlineData(Broker.Redis, "redisHost", "redis:6379")]
    [InlineData(Broker.RabbitMq, "connectionString", "amqp://daprsaga:daprsaga@rabbitmq:5672")]
    [InlineData(Broker.Kafka, "brokers", "kafka:19092")]
    public void EachBrokerGetsTheCommonFilesTheRedisStoresAndItsPubSubOnTheNetworkAliases(Broker broker, string hostField, string host)
    {
        var files = ComponentSet.For(broker);

        Assert.Equal(["cron-bindings.yaml", "pubsub.yaml", "resiliency.yaml", "statestores.yaml"], files.Keys.Order(StringComparer.Ordinal));
        Assert.Matches($@"- name: {hostField}\s+value: {System.Text.RegularExpressions.Regex.Escape(host)}\s", files["pubsub.yaml"]);
        Assert.Equal(5, System.Text.RegularExpressions.Regex.Count(files["statestores.yaml"], @"- name: redisHost\s+value: redis:6379\s"));
    }
}
