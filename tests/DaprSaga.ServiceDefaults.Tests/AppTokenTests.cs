using System.Net;
using System.Text.Json.Nodes;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;
using Microsoft.AspNetCore.Authorization;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>
/// APP_API_TOKEN: with it configured, subscriptions, /dapr/subscribe, cron bindings and
/// participant commands accept only calls carrying it (daprd's), while the bindings' OPTIONS
/// probe and customer endpoints stay open; without it, everything is open.
/// </summary>
public sealed class AppTokenTests
{
    private const string AppToken = "app-secret";
    private const string Binding = "tick";
    // These apps run on the system clock: an event must be newer than the retention window.
    private static readonly DateTimeOffset At = DateTimeOffset.UtcNow;

    /// <summary>What the mapped endpoints were asked to do.</summary>
    private sealed class Calls
    {
        private int _events, _ticks, _commands;
        public int Events => Volatile.Read(ref _events);
        public int Ticks => Volatile.Read(ref _ticks);
        public int Commands => Volatile.Read(ref _commands);
        public void Event() => Interlocked.Increment(ref _events);
        public void Tick() => Interlocked.Increment(ref _ticks);
        public void Command() => Interlocked.Increment(ref _commands);
    }

    private static Task<TestHost> StartAsync(Calls calls, string? appToken) =>
        TestHost.StartAsync(
            app =>
            {
                app.MapGroup("/commands").OnlyFromCaller(AppIds.OrderProcessService).MapPost("/{id}", (string id) =>
                {
                    calls.Command();
                    return TypedResults.Ok(id);
                });
                app.MapGet("/customers-page", () => TypedResults.Ok("open"));
            },
            configure: b => b
                .Handle<PaymentConfirmed>(_ =>
                {
                    calls.Event();
                    return Task.FromResult(HandlerOutcome.Done);
                })
                .Tick(Binding, () =>
                {
                    calls.Tick();
                    return 1;
                }),
            sidecarOptions: o => o with { Bindings = [Binding], AppApiToken = appToken });

    private static async Task<HttpStatusCode> SendAsync(
        HttpClient client, HttpMethod method, string path, string? token, HttpContent? content = null, string? caller = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        if (token is not null) request.Headers.Add("dapr-api-token", token);
        if (caller is not null) request.Headers.Add(ParticipantCommands.CallerHeader, caller);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static JsonContent PaymentConfirmedBody() =>
        JsonContent.Create(new PaymentConfirmed("o-1", SagaFlow.Choreography, 20m, At), options: ServiceDefaultsExtensions.JsonOptions);

    [Fact]
    public async Task WithTheTokenTheSidecarReadsSubscriptionsDeliversAndFiresBindings()
    {
        var calls = new Calls();
        await using var host = await StartAsync(calls, AppToken);

        await host.Dapr.PublishEventAsync(Components.PubSub, Topics.PaymentConfirmed, new PaymentConfirmed("o-1", SagaFlow.Choreography, 20m, At));
        await host.Testbed.WaitForIdleAsync(TimeSpan.FromSeconds(10));
        var fired = await host.Sidecar.TriggerBindingAsync(Binding);

        Assert.Equal([Topics.DeadLetters(AppIds.OrderService), Topics.PaymentConfirmed], host.Sidecar.Subscriptions.Select(s => s.Topic).Order(StringComparer.Ordinal));
        Assert.Equal(1, calls.Events);
        Assert.Equal(HttpStatusCode.OK, fired);
        Assert.Equal(1, calls.Ticks);
        Assert.Equal(0, host.Testbed.Redeliveries);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task WithTheTokenADirectCallWithoutItOrWithAWrongOneIs401AndDoesNothing(string? token)
    {
        var calls = new Calls();
        await using var host = await StartAsync(calls, AppToken);
        using var client = host.NewClient();

        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(client, HttpMethod.Post, "/events/" + Topics.PaymentConfirmed, token, PaymentConfirmedBody()));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(client, HttpMethod.Get, "/dapr/subscribe", token));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(client, HttpMethod.Post, "/" + Binding, token));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(client, HttpMethod.Post, "/commands/o-1", token));

        Assert.Equal((0, 0, 0), (calls.Events, calls.Ticks, calls.Commands));
    }

    [Fact]
    public async Task TheRefusalIsAProblemDetails()
    {
        await using var host = await StartAsync(new Calls(), AppToken);
        using var client = host.NewClient();

        using var response = await client.PostAsync(new Uri("/" + Binding, UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(401, (int?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
    }

    [Fact]
    public async Task WithTheTokenADirectCallCarryingItIsServed()
    {
        var calls = new Calls();
        await using var host = await StartAsync(calls, AppToken);
        using var client = host.NewClient();

        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Post, "/events/" + Topics.PaymentConfirmed, AppToken, PaymentConfirmedBody()));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Post, "/" + Binding, AppToken));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Post, "/commands/o-1", AppToken, caller: AppIds.OrderProcessService));

        Assert.Equal((1, 1, 1), (calls.Events, calls.Ticks, calls.Commands));
    }

    [Fact]
    public async Task WithTheTokenAnotherCallerIsStillRefusedAsAParticipantCommand()
    {
        var calls = new Calls();
        await using var host = await StartAsync(calls, AppToken);
        using var client = host.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/commands/o-1", UriKind.Relative));
        request.Headers.Add("dapr-api-token", AppToken);
        request.Headers.Add(ParticipantCommands.CallerHeader, AppIds.PaymentService);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, calls.Commands);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task TheBindingProbeIsAnsweredWithoutTheToken(string? token)
    {
        await using var host = await StartAsync(new Calls(), AppToken);
        using var client = host.NewClient();

        var probe = await SendAsync(client, HttpMethod.Options, "/" + Binding, token);

        // dapr `pkg/runtime/processor/binding/send.go`: only 2xx or 405 enables the binding.
        Assert.True((int)probe is >= 200 and < 300 or 405, $"OPTIONS answered {(int)probe}");
    }

    [Fact]
    public async Task WithTheTokenCustomerEndpointsAndHealthStayOpen()
    {
        await using var host = await StartAsync(new Calls(), AppToken);
        using var client = host.NewClient();

        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Get, "/customers-page", null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Get, "/healthz", null));
        // A customer sending some dapr-api-token header is not refused either.
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Get, "/customers-page", "wrong"));
    }

    [Fact]
    public async Task WithoutATokenConfiguredDaprEndpointsAreOpenAndACommandStillNeedsTheOrchestratorAsCaller()
    {
        var calls = new Calls();
        await using var host = await StartAsync(calls, appToken: null);
        using var client = host.NewClient();

        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Post, "/events/" + Topics.PaymentConfirmed, null, PaymentConfirmedBody()));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Get, "/dapr/subscribe", null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Post, "/" + Binding, null));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(client, HttpMethod.Post, "/commands/o-1", null));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(client, HttpMethod.Post, "/commands/o-1", null, caller: AppIds.PaymentService));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, HttpMethod.Post, "/commands/o-1", null, caller: AppIds.OrderProcessService));
        Assert.Equal(HttpStatusCode.OK, await host.Sidecar.TriggerBindingAsync(Binding));

        Assert.Equal((1, 2, 1), (calls.Events, calls.Ticks, calls.Commands));
    }

    [Fact]
    public async Task WithoutATokenConfiguredTheAppWarnsAtStartThatTheCallerHeaderCanBeForged()
    {
        static async Task<IReadOnlyList<string>> WarningsAsync(string? appToken)
        {
            await using var host = await TestHost.StartAsync(
                _ => { }, configure: b => b.Logging.AddFakeLogging(), sidecarOptions: o => o with { AppApiToken = appToken });
            return host.Services.GetFakeLogCollector().GetSnapshot()
                .Where(r => r.Level == LogLevel.Warning && r.Message.Contains("APP_API_TOKEN is not set", StringComparison.Ordinal))
                .Select(r => r.Message).ToList();
        }

        var warning = Assert.Single(await WarningsAsync(appToken: null));
        Assert.Contains(ParticipantCommands.CallerHeader, warning, StringComparison.Ordinal);
        Assert.Empty(await WarningsAsync(AppToken));
    }

    [Fact]
    public async Task EveryDaprFacingEndpointOfTheHostRequiresTheTokenPolicy()
    {
        await using var host = await StartAsync(new Calls(), AppToken);
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        string[] daprFacing = ["/events/" + Topics.PaymentConfirmed, "/dapr/subscribe", "/" + Binding, "/commands/{id}"];
        foreach (var path in daprFacing)
        {
            var endpoint = Assert.Single(endpoints, e => "/" + e.RoutePattern.RawText?.TrimStart('/') == path && !IsOptions(e));
            Assert.Contains(endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>(), a => a.Policy == DaprAppToken.Policy);
        }
        var probe = Assert.Single(endpoints, e => e.RoutePattern.RawText == "/" + Binding && IsOptions(e));
        Assert.DoesNotContain(probe.Metadata.GetOrderedMetadata<IAuthorizeData>(), a => a.Policy == DaprAppToken.Policy);
    }

    private static bool IsOptions(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.SequenceEqual([HttpMethods.Options]) == true;
}
