using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>The request body cap of ServiceDefaults: 413 ProblemDetails past it, the handler never runs.</summary>
public sealed class BodyLimitTests
{
    /// <summary>An app whose POST /echo-length answers with the length of the body it read, counting its calls.</summary>
    private sealed class EchoApp : IAsyncDisposable
    {
        private int _calls;
        private TestHost _host = null!;
        private HttpClient _client = null!;

        public int Calls => Volatile.Read(ref _calls);

        public static async Task<EchoApp> StartAsync()
        {
            var echo = new EchoApp();
            echo._host = await TestHost.StartAsync(app => app.MapPost("/echo-length", async (HttpRequest request) =>
            {
                Interlocked.Increment(ref echo._calls);
                using var reader = new StreamReader(request.Body);
                return TypedResults.Ok((await reader.ReadToEndAsync()).Length);
            }));
            echo._client = echo._host.NewClient();
            return echo;
        }

        public Task<HttpResponseMessage> PostAsync(HttpContent body) => _client.PostAsync(new Uri("/echo-length", UriKind.Relative), body);

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _host.DisposeAsync();
        }
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
        await using var echo = await EchoApp.StartAsync();

        using var sized = await echo.PostAsync(new StringContent(new string('a', RequestBodyLimit.MaxBytes)));
        using var chunked = await echo.PostAsync(new ChunkedContent(new string('a', RequestBodyLimit.MaxBytes)));

        Assert.Equal(HttpStatusCode.OK, sized.StatusCode);
        Assert.Equal(RequestBodyLimit.MaxBytes, await sized.Content.ReadFromJsonAsync<int>());
        Assert.Equal(HttpStatusCode.OK, chunked.StatusCode);
        Assert.Equal(RequestBodyLimit.MaxBytes, await chunked.Content.ReadFromJsonAsync<int>());
        Assert.Equal(2, echo.Calls);
    }

    [Fact]
    public async Task ABodyWithADeclaredLengthPastTheCapIs413ProblemDetailsAndNeverHandled()
    {
        await using var echo = await EchoApp.StartAsync();

        using var response = await echo.PostAsync(new StringContent(new string('a', RequestBodyLimit.MaxBytes + 1)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(413, (int?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
        Assert.Equal(0, echo.Calls);
    }

    [Fact]
    public async Task AChunkedBodyPastTheCapIs413AndNeverHandled()
    {
        await using var echo = await EchoApp.StartAsync();

        using var response = await echo.PostAsync(new ChunkedContent(new string('a', 4 * RequestBodyLimit.MaxBytes)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, echo.Calls);
    }
}
