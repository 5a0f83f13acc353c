using Dapr;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>Sidecar health through DaprClient and the `GET /v1.0/metadata` JSON.</summary>
public sealed class HealthAndMetadataTests() : HostedTest<TestApp>(StartAppAsync)
{
    private const string PubSub = "pubsub";

    private static Task<TestApp> StartAppAsync() => TestApp.StartAsync(new SidecarOptions("meta-app")
    {
        StateStores = ["orders-store", "payments-store"],
        PubSubs = [PubSub],
        Bindings = ["tick"],
    }, app =>
    {
        app.MapPost("/placed", TestApp.Recording("placed"))
            .WithTopic(new TopicOptions { PubsubName = PubSub, Name = "placed", DeadLetterTopic = "dead-letters" });
        app.MapPost("/paid", TestApp.Recording("paid")).WithTopic(PubSub, "paid");
        app.MapPost("/tick", TestApp.Recording("tick"));
    });

    private async Task<JsonObject> MetadataAsync()
    {
        using var http = new HttpClient { BaseAddress = Host.Sidecar.HttpEndpoint };
        using var response = await http.GetAsync(new Uri("/v1.0/metadata", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return Assert.IsType<JsonObject>(JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static JsonObject Subscription(JsonObject metadata, string topic) =>
        Assert.Single(metadata["subscriptions"]!.AsArray(), s => (string?)s!["topic"] == topic)!.AsObject();

    [Fact]
    public async Task CheckHealthAsyncIsTrue()
    {
        Assert.True(await Host.Dapr.CheckHealthAsync());
    }

    [Fact]
    public async Task CheckOutboundHealthAsyncIsTrue()
    {
        Assert.True(await Host.Dapr.CheckOutboundHealthAsync());
    }

    [Fact]
    public async Task WaitForSidecarAsyncCompletes()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        await Host.Dapr.WaitForSidecarAsync(deadline.Token);

        Assert.False(deadline.IsCancellationRequested);
    }

    [Fact]
    public async Task HealthIs204WithAnEmptyBody()
    {
        using var http = new HttpClient { BaseAddress = Host.Sidecar.HttpEndpoint };

        using var healthz = await http.GetAsync(new Uri("/v1.0/healthz", UriKind.Relative));
        using var outbound = await http.GetAsync(new Uri("/v1.0/healthz/outbound", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, healthz.StatusCode);
        Assert.Equal("", await healthz.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, outbound.StatusCode);
    }

    [Fact]
    public async Task MetadataNamesTheAppId()
    {
        var metadata = await MetadataAsync();

        Assert.Equal("meta-app", (string?)metadata["id"]);
    }

    [Fact]
    public async Task MetadataListsEveryComponentWithItsType()
    {
        var metadata = await MetadataAsync();

        var components = metadata["components"]!.AsArray()
            .Select(c => ((string?)c!["name"], (string?)c["type"]))
            .OrderBy(c => c.Item1, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
        [
            ("orders-store", "state.redis"),
            ("payments-store", "state.redis"),
            ("pubsub", "pubsub.redis"),
            ("tick", "bindings.cron"),
        ], components);
    }

    [Fact]
    public async Task MetadataListsEachSubscriptionWithLowercasePubsubnameTopicAndDeadLetterTopic()
    {
        var metadata = await MetadataAsync();

        // The two the app declares, and its own dead-letter subscription.
        Assert.Equal(3, metadata["subscriptions"]!.AsArray().Count);
        var placed = Subscription(metadata, "placed");
        Assert.Equal(PubSub, (string?)placed["pubsubname"]);
        Assert.False(placed.ContainsKey("pubsubName"));
        Assert.Equal("dead-letters", (string?)placed["deadLetterTopic"]);
        // deadLetterTopic has no omitempty: present, empty, when none is set (dapr pkg/api/http/metadata.go).
        var paid = Subscription(metadata, "paid");
        Assert.Equal("", (string?)paid["deadLetterTopic"]);
    }

    [Fact]
    public async Task MetadataListsTheRouteAsTheOneRule()
    {
        var metadata = await MetadataAsync();

        var rule = Assert.Single(Subscription(metadata, "placed")["rules"]!.AsArray())!;
        Assert.Equal("/placed", "/" + ((string?)rule["path"])?.TrimStart('/'));
    }

    [Fact]
    public async Task TheDefaultRuleHasNoMatchKey()
    {
        // metadataResponsePubsubSubscriptionRule: `json:"match,omitempty"` (dapr pkg/api/http/metadata.go).
        var metadata = await MetadataAsync();

        var only = Assert.Single(Subscription(metadata, "paid")["rules"]!.AsArray())!.AsObject();
        Assert.False(only.ContainsKey("match"), $"default rule was {only.ToJsonString()}");
        Assert.Equal("/paid", "/" + ((string?)only["path"])?.TrimStart('/'));
    }
}
