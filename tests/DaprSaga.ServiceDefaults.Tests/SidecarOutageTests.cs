using System.Net;
using System.Text.Json.Nodes;
using Dapr.Client;
using DaprSaga.Contracts;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>A sidecar that stops under a running app: 503 with Retry-After, liveness still up, readiness down.</summary>
public sealed class SidecarOutageTests
{
    private static Task<TestHost> StartAsync() =>
        TestHost.StartAsync(app => app.MapGet("/things/{id}", async (string id, DaprClient dapr) =>
            TypedResults.Ok(await dapr.GetStateAsync<string?>(Components.OrderStore, id) ?? "none")));

    [Fact]
    public async Task ARequestThatNeedsAStoppedSidecarIsA503WithRetryAfterAndNoStackTrace()
    {
        await using var host = await StartAsync();
        using var client = host.NewClient();
        using (var before = await client.GetAsync(new Uri("/things/a", UriKind.Relative))) Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await host.Sidecar.DisposeAsync();
        using var response = await client.GetAsync(new Uri("/things/a", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(SidecarUnavailable.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(503, (int)problem["status"]!);
        Assert.Equal("The Dapr sidecar cannot be reached", (string?)problem["title"]);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LivenessStaysUpWhileReadinessReportsTheSidecar()
    {
        await using var host = await StartAsync();
        using var client = host.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);

        await host.Sidecar.DisposeAsync();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public void OnlyASidecarThatDidNotAnswerCountsAsUnreachable()
    {
        Assert.True(SidecarUnavailable.IsSidecarUnreachable(new Dapr.DaprException("state", new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "down")))));
        Assert.True(SidecarUnavailable.IsSidecarUnreachable(new HttpRequestException("refused", new System.Net.Sockets.SocketException(111))));
        Assert.False(SidecarUnavailable.IsSidecarUnreachable(new Dapr.DaprException("state", new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Internal, "store error")))));
        Assert.False(SidecarUnavailable.IsSidecarUnreachable(new InvalidOperationException("a bug")));
    }
}
