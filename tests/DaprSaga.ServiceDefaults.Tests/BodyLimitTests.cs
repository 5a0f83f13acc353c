using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>The request body cap of ServiceDefaults: 413 ProblemDetails past it, the handler never runs.</summary>
public sealed class BodyLimitTests
{
    private static async Task<(TestHost Host, HttpClient Client, Func<int> Calls)> StartAsync()
    {
        var calls = 0;
        var host = await TestHost.StartAsync(app => app.MapPost("/echo-length", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref calls);
            using var reader = new StreamReader(request.Body);
            return TypedResults.Ok((await reader.ReadToEndAsync()).Length);
        }));
        var client = new HttpClient
        {
            BaseAddress = new Uri(host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()),
        };
        return (host, client, () => Volatile.Read(ref calls));
    }

    /// <summary>A body of unknown length: sent chunked, without Content-Length.</summary>
    private sealed class ChunkedContent(string text) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task ABodyUpToTheCapIsRead()
    {
        var (host, client, calls) = await StartAsync();
        await using var _ = host;
        using var __ = client;

        using var sized = await client.PostAsync(new Uri("/echo-length", UriKind.Relative), new StringContent(new string('a', RequestBodyLimit.MaxBytes)));
        using var chunked = await client.PostAsync(new Uri("/echo-length", UriKind.Relative), new ChunkedContent(new string('a', RequestBodyLimit.MaxBytes)));

        Assert.Equal(HttpStatusCode.OK, sized.StatusCode);
        Assert.Equal(RequestBodyLimit.MaxBytes, await sized.Content.ReadFromJsonAsync<int>());
        Assert.Equal(HttpStatusCode.OK, chunked.StatusCode);
        Assert.Equal(RequestBodyLimit.MaxBytes, await chunked.Content.ReadFromJsonAsync<int>());
        Assert.Equal(2, calls());
    }

    [Fact]
    public async Task ABodyWithADeclaredLengthPastTheCapIs413ProblemDetailsAndNeverHandled()
    {
        var (host, client, calls) = await StartAsync();
        await using var _ = host;
        using var __ = client;

        using var response = await client.PostAsync(new Uri("/echo-length", UriKind.Relative), new StringContent(new string('a', RequestBodyLimit.MaxBytes + 1)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(413, (int?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
        Assert.Equal(0, calls());
    }

    [Fact]
    public async Task AChunkedBodyPastTheCapIs413AndNeverHandled()
    {
        var (host, client, calls) = await StartAsync();
        await using var _ = host;
        using var __ = client;

        using var response = await client.PostAsync(new Uri("/echo-length", UriKind.Relative), new ChunkedContent(new string('a', 4 * RequestBodyLimit.MaxBytes)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, calls());
    }
}
