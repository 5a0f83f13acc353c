namespace DaprSaga.OrderService.Tests;

/// <summary>A fresh order-service (and testbed) for every test.</summary>
public abstract class ServiceTest() : HostedTest<OrderServiceHost>(OrderServiceHost.StartAsync)
{
    protected const SagaFlow Choreo = SagaFlow.Choreography;
}
