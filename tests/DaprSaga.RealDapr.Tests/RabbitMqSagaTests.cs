namespace DaprSaga.RealDapr.Tests;

/// <summary>The choreography over RabbitMq (components/pubsub/rabbitmq), state still in Redis.</summary>
public sealed class RabbitMqSagaTests(RabbitMqClusterFixture fixture) : ChoreographyOverBrokerTests<RabbitMqClusterFixture>(fixture);
