using Dapr;
using Dapr.Client;
using Grpc.Core;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>
/// DAPR_API_TOKEN (every call to the sidecar must carry it, health excepted) and APP_API_TOKEN
/// (the sidecar sends it to the app as `dapr-api-token` on every call it makes).
/// </summary>
public sealed class SecurityTests() : HostedTest<TestApp>(StartAppAsync)
{
    private const string DaprToken = "dapr-secret";
    private const string AppToken = "app-secret";
    private const string Store = "store";
    private const string PubSub = "pubsub";

    private static Task<TestApp> StartAppAsync() => TestApp.StartAsync(new SidecarOptions("secure-app")
    {
        StateStores = [Store],
        PubSubs = [PubSub],
        Bindings = ["tick"],
        DaprApiToken = DaprToken,
        AppApiToken = AppToken,
    }, app =>
    {
        app.MapPost("/orders", TestApp.Recording("orders")).WithTopic(PubSub, "orders");
        app.MapPost("/tick", TestApp.Recording("tick"));
        app.MapGet("/ping", TestApp.Recording("ping"));
    });

    private Sidecar Sidecar => Host.Sidecar;

    private DaprClient ClientWithToken(string? token)
    {
        var builder = new DaprClientBuilder()
            .UseGrpcEndpoint(Sidecar.GrpcEndpoint.ToString())
            .UseHttpEndpoint(Sidecar.HttpEndpoint.ToString());
        if (token is not null) builder.UseDaprApiToken(token);
        return builder.Build();
    }

    private static RpcException Inner(DaprException e) => Assert.IsType<RpcException>(e.InnerException);

    [Fact]
    public async Task TheAppsDaprClientReadsTheTokenFromConfigurationAndSucceeds()
    {
        await Host.Dapr.SaveStateAsync(Store, "k", "v");

        Assert.Equal("v", await Host.Dapr.GetStateAsync<string>(Store, "k"));
        await Host.Dapr.PublishEventAsync(PubSub, "orders", new { orderId = "o-1" });
        await Host.Recorder.WaitForAsync(r => r.Any(x => x.Route == "orders"));
    }

    [Fact]
    public async Task AClientWithoutTheTokenIsUnauthenticatedAndChangesNothing()
    {
        using var client = ClientWithToken(null);

        var save = await Assert.ThrowsAsync<DaprException>(() => client.SaveStateAsync(Store, "k", "v"));
        var publish = await Assert.ThrowsAsync<DaprException>(() => client.PublishEventAsync(PubSub, "orders", new { orderId = "o-1" }));

        Assert.Equal(StatusCode.Unauthenticated, Inner(save).StatusCode);
        Assert.Equal("Unauthorized", Inner(save).Status.Detail);
        Assert.Equal(StatusCode.Unauthenticated, Inner(publish).StatusCode);
        Assert.Empty(Host.Testbed.StateStore(Store).Snapshot());
        Assert.Empty(Host.Testbed.PubSub(PubSub).Published("orders"));
    }

    [Fact]
    public async Task AClientWithAWrongTokenIsUnauthenticated()
    {
        using var client = ClientWithToken("wrong");

        var e = await Assert.ThrowsAsync<DaprException>(() => client.GetStateAsync<string>(Store, "k"));

        Assert.Equal(StatusCode.Unauthenticated, Inner(e).StatusCode);
    }

    [Fact]
    public async Task AClientWithTheRightTokenSucceeds()
    {
        using var client = ClientWithToken(DaprToken);

        await client.SaveStateAsync(Store, "k", "v");

        Assert.Equal("v", await Host.Dapr.GetStateAsync<string>(Store, "k"));
    }

    [Fact]
    public async Task MetadataWithoutTheTokenIs401WhileHealthStaysOpen()
    {
        using var http = new HttpClient { BaseAddress = Sidecar.HttpEndpoint };

        using var metadata = await http.GetAsync(new Uri("/v1.0/metadata", UriKind.Relative));
        using var healthz = await http.GetAsync(new Uri("/v1.0/healthz", UriKind.Relative));
        using var outbound = await http.GetAsync(new Uri("/v1.0/healthz/outbound", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, metadata.StatusCode);
        Assert.Equal("invalid api token", (await metadata.Content.ReadAsStringAsync()).Trim());
        Assert.Equal(HttpStatusCode.NoContent, healthz.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, outbound.StatusCode);
    }

    [Fact]
    public async Task MetadataWithTheTokenIsServed()
    {
        using var http = new HttpClient { BaseAddress = Sidecar.HttpEndpoint };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1.0/metadata");
        request.Headers.Add("dapr-api-token", DaprToken);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AClientWithoutTheTokenStillSeesTheSidecarHealthy()
    {
        using var client = ClientWithToken(null);

        Assert.True(await client.CheckHealthAsync());
        Assert.True(await client.CheckOutboundHealthAsync());
    }

    [Fact]
    public async Task AnInvocationWithoutTheTokenIs401AndNeverReachesTheApp()
    {
        using var client = ClientWithToken(null);
        using var invoker = client.CreateInvokableHttpClient("secure-app");

        using var response = await invoker.GetAsync(new Uri("/ping", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(Host.Recorder.All);
    }

    [Fact]
    public async Task DeliveriesCarryTheAppApiToken()
    {
        await Host.Dapr.PublishEventAsync(PubSub, "orders", new { orderId = "o-1" });

        var received = (await Host.Recorder.WaitForAsync(r => r.Any(x => x.Route == "orders"))).Single(x => x.Route == "orders");

        Assert.Equal(AppToken, received.Headers.GetValueOrDefault("dapr-api-token"));
    }

    [Fact]
    public async Task InvocationsCarryTheAppApiTokenNotTheCallersDaprApiToken()
    {
        using var invoker = Host.Dapr.CreateInvokableHttpClient("secure-app");

        using var response = await invoker.GetAsync(new Uri("/ping", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(Host.Recorder.At("ping"));
        Assert.Equal(AppToken, received.Headers.GetValueOrDefault("dapr-api-token"));
    }

    [Fact]
    public async Task BindingTriggersCarryTheAppApiToken()
    {
        Assert.Equal(HttpStatusCode.OK, await Sidecar.TriggerBindingAsync("tick"));

        var received = Assert.Single(Host.Recorder.At("tick"));
        Assert.Equal(AppToken, received.Headers.GetValueOrDefault("dapr-api-token"));
    }

    [Fact]
    public async Task TheCallersDaprApiTokenDoesNotReachATargetWithoutAnAppApiToken()
    {
        await using var plain = await TestApp.StartAsync(Host.Testbed, new SidecarOptions("plain-app"), a => a.MapGet("/ping", TestApp.Recording("ping")));
        using var invoker = Host.Dapr.CreateInvokableHttpClient("plain-app");

        using var response = await invoker.GetAsync(new Uri("/ping", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(plain.Recorder.At("ping"));
        Assert.False(received.Headers.ContainsKey("dapr-api-token"));
    }
}
