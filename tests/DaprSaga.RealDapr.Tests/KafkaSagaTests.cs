namespace DaprSaga.RealDapr.Tests;

/// <summary>The choreography over Kafka (components/pubsub/kafka), state still in Redis.</summary>
public sealed class KafkaSagaTests(KafkaClusterFixture fixture) : ChoreographyOverBrokerTests<KafkaClusterFixture>(fixture);
