namespace DaprSaga.RealDapr.Tests;

/// <summary>The pub/sub variants of components/pubsub/, each one folder of `dapr.yaml`'s resourcesPaths.</summary>
public enum Broker
{
    Redis,
    RabbitMq,
    Kafka,
}
