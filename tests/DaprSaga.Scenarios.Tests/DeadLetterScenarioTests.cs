
namespace DaprSaga.Scenarios.Tests;

/// <summary>A poison event reaches a real service's dead-letter store, under the real component scopes.</summary>
public sealed class DeadLetterScenarioTests() : HostedTest<SagaCluster>(() => SagaCluster.StartAsync())
{
    [Fact]
    public async Task AMalformedOrderPlacedShowsUpInTheInventoryServicesDeadLetters()
    {
        // Published from the order service's sidecar, whose scope owns order-placed.
        using var orderSidecar = Host.Order.Sidecar.NewDaprClient();
        await orderSidecar.PublishEventAsync(Components.PubSub, Topics.OrderPlaced, new { orderId = "o-poison", flow = "Choreography" });
        await Host.QuiesceAsync();

        var deadLetters = await Host.Inventory.Http.GetFromJsonAsync<List<JsonObject>>(new Uri("/dead-letters", UriKind.Relative));

        var deadLetter = Assert.Single(deadLetters!);
        Assert.Equal(Topics.OrderPlaced, (string?)deadLetter["topic"]);
        Assert.Equal("o-poison", (string?)deadLetter["data"]!["orderId"]);
        Assert.Equal(1, Host.Testbed.DeadLettered);
    }
}
