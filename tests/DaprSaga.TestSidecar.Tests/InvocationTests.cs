using System.Diagnostics;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>
/// Service invocation over HTTP through two sidecars, with the SDK's
/// `daprClient.CreateInvokableHttpClient(appId)` as our services use it.
/// </summary>
public sealed class InvocationTests : IAsyncLifetime
{
    private readonly Testbed _testbed = new();
    private TestApp _caller = null!;
    private TestApp _target = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _target = await TestApp.StartAsync(_testbed, new SidecarOptions("target-app"), app =>
        {
            app.MapGet("/orders/{id}", TestApp.Recording("get-order"));
            app.MapPost("/orders", TestApp.Recording("post-order", _ => Results.Created("/orders/o-1", new { orderId = "o-1" })));
            app.MapPost("/conflict", () => Results.Problem(
                statusCode: StatusCodes.Status409Conflict, title: "order already confirmed", detail: "o-1 is confirmed"));
        });
        _caller = await TestApp.StartAsync(_testbed, new SidecarOptions("caller-app"), _ => { });
        _client = _caller.Dapr.CreateInvokableHttpClient("target-app");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _caller.DisposeAsync();
        await _target.DisposeAsync();
        await _testbed.DisposeAsync();
    }

    private static async Task<JsonObject> JsonBodyAsync(HttpResponseMessage response) =>
        Assert.IsType<JsonObject>(JsonNode.Parse(await response.Content.ReadAsStringAsync()));

    /// <param name="supplied">App id headers the caller sets itself, which the sidecars replace (none: the plain call).</param>
    [Theory]
    [InlineData(null)]
    [InlineData("spoofed")]
    public async Task TheTargetSeesTheCallerAndCalleeAppIdsEvenWhenTheCallerSuppliesThem(string? supplied)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/o-1", UriKind.Relative));
        if (supplied is not null)
        {
            request.Headers.Add("dapr-caller-app-id", supplied);
            request.Headers.Add("dapr-callee-app-id", supplied);
        }

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(_target.Recorder.At("get-order"));
        Assert.Equal("caller-app", received.Headers["dapr-caller-app-id"]);
        Assert.Equal("target-app", received.Headers["dapr-callee-app-id"]);
    }

    [Fact]
    public async Task ADaprApiTokenHeaderIsForwardedAsIsWhenTheCallersSidecarHasNoToken()
    {
        // APITokenAuthMiddleware is a no-op without DAPR_API_TOKEN, so the header is not stripped
        // (dapr pkg/api/http/middlewares.go); the target has no APP_API_TOKEN to overwrite it.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/o-1", UriKind.Relative));
        request.Headers.Add("dapr-api-token", "from-the-caller");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(_target.Recorder.At("get-order"));
        Assert.Equal("from-the-caller", received.Headers.GetValueOrDefault("dapr-api-token"));
    }

    [Fact]
    public async Task TheMethodPathAndQueryStringArriveIntact()
    {
        string? seen = null;
        await using var target = await TestApp.StartAsync(_testbed, new SidecarOptions("path-app"), app =>
            app.MapGet("/a/b/{id}", (HttpContext http) =>
            {
                seen = http.Request.Path + http.Request.QueryString;
                return Results.Ok();
            }));
        using var client = _caller.Dapr.CreateInvokableHttpClient("path-app");

        using var response = await client.GetAsync(new Uri("/a/b/o-42?state=open&page=2&q=a%20b", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/a/b/o-42?state=open&page=2&q=a%20b", seen);
    }

    [Fact]
    public async Task ANonSuccessStatusAndItsBodyComeBackUnchanged()
    {
        using var response = await _client.PostAsync(new Uri("/conflict", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonBodyAsync(response);
        Assert.Equal(409, (int?)problem["status"]);
        Assert.Equal("order already confirmed", (string?)problem["title"]);
        Assert.Equal("o-1 is confirmed", (string?)problem["detail"]);
        Assert.False(problem.ContainsKey("errorCode"));
    }

    [Fact]
    public async Task APostBodyArrivesAndTheTargetsAnswerComesBack()
    {
        using var response = await _client.PostAsJsonAsync(new Uri("/orders", UriKind.Relative), new { orderId = "o-1", total = 20.5m });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/orders/o-1", response.Headers.Location?.OriginalString);
        Assert.Equal("o-1", (string?)(await JsonBodyAsync(response))["orderId"]);
        var received = Assert.Single(_target.Recorder.At("post-order"));
        Assert.Equal("application/json", received.ContentType.Split(';')[0]);
        Assert.Equal("o-1", (string?)received.Body?["orderId"]);
        Assert.Equal(20.5m, (decimal?)received.Body?["total"]);
    }

    [Fact]
    public async Task AStoppedTargetAppGivesAnImmediate500DirectInvokeError()
    {
        await _target.StopAppAsync();

        var clock = Stopwatch.StartNew();
        using var response = await _client.GetAsync(new Uri("/orders/o-1", UriKind.Relative));
        clock.Stop();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = await JsonBodyAsync(response);
        Assert.Equal("ERR_DIRECT_INVOKE", (string?)error["errorCode"]);
        Assert.StartsWith("failed to invoke, id: target-app, err: ", (string?)error["message"], StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}: a refused connection is not retried");
        Assert.Empty(_target.Recorder.All);
    }

    [Fact]
    public async Task AnUnknownAppIdGivesA500DirectInvokeError()
    {
        using var client = _caller.Dapr.CreateInvokableHttpClient("no-such-app");

        using var response = await client.GetAsync(new Uri("/orders/o-1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = await JsonBodyAsync(response);
        Assert.Equal("ERR_DIRECT_INVOKE", (string?)error["errorCode"]);
        Assert.StartsWith("failed to invoke, id: no-such-app, err: ", (string?)error["message"], StringComparison.Ordinal);
    }
}
