using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapr.Client;
using DaprSaga.Contracts;

namespace DaprSaga.Scenarios.Tests;

/// <summary>A poison event reaches a real service's dead-letter store, under the real component scopes.</summary>
public sealed class DeadLetterScenarioTests : IAsyncLifetime
{
    private SagaCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SagaCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task AMalformedOrderPlacedShowsUpInTheInventoryServicesDeadLetters()
    {
        // Published from the order service's sidecar, whose scope owns order-placed.
        using var orderSidecar = new DaprClientBuilder().UseGrpcEndpoint(_cluster.Order.Sidecar.GrpcEndpoint.ToString()).Build();
        await orderSidecar.PublishEventAsync(Components.PubSub, Topics.OrderPlaced, new { orderId = "o-poison", flow = "Choreography" });
        await _cluster.QuiesceAsync();

        var deadLetters = await _cluster.Inventory.Http.GetFromJsonAsync<List<JsonObject>>(new Uri("/dead-letters", UriKind.Relative));

        var deadLetter = Assert.Single(deadLetters!);
        Assert.Equal(Topics.OrderPlaced, (string?)deadLetter["topic"]);
        Assert.Equal("o-poison", (string?)deadLetter["data"]!["orderId"]);
        Assert.Equal(1, _cluster.Testbed.DeadLettered);
    }
}
