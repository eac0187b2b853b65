using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>
/// Every way a request can fail, through the host on real sockets: each answers an OpenAI-style error with the
/// right status, writes exactly one whole usage row (never half of one), and leaves the host serving.
/// </summary>
public sealed class ErrorPathsEndToEndTests : IAsyncLifetime
{
    private const int BodyLimit = 4096;

    private FakeOpenAIUpstream _upstream = null!;
    private SluiceApplication _app = null!;
    private string _accountId = "";
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeOpenAIUpstream.StartAsync();
        _app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("gpt-test", "openai", _upstream.BaseUrl)
            .Add("dead", "openai", ClosedUpstream.BaseUrl())
            .With("Sluice:Proxy:MaxRequestBodyBytes", BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var (account, key) = await _app.CreateAccountAsync();
        _accountId = account.Id;
        _client = _app.CreateHttpClient(key);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Chat(string model = "gpt-test", string extra = "") =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hello"}]{{extra}}}""";

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
    }

    /// <summary>The account's one row, whole: status and code set, and the identity fields every row carries.</summary>
    private async Task<TableEntity> TheRowAsync(int status, string? errorCode)
    {
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, _accountId));
        Assert.Equal(status, row.GetInt32("Status"));
        Assert.Equal(errorCode, row.GetString("ErrorCode"));
        Assert.False(string.IsNullOrEmpty(row.GetString("RequestId")));
        Assert.False(string.IsNullOrEmpty(row.GetString("KeyId")));
        Assert.Equal("us", row.GetString("DataRegion"));
        Assert.NotNull(row.GetDouble("LatencyMs"));
        return row;
    }

    /// <summary>After any failure the host still serves a normal completion.</summary>
    private async Task AssertStillServingAsync()
    {
        _upstream.Behavior = new FakeBehavior();
        _upstream.Script = null;
        using var ok = await _client.PostAsync("v1/chat/completions", Json(Chat()));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task Upstream4xx_PassesThrough_WithItsStatusAndBody_Unretried(int status)
    {
        _upstream.Behavior = new FakeBehavior { Status = status };

        using var response = await _client.PostAsync("v1/chat/completions", Json(Chat()));

        Assert.Equal(status, (int)response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal($"Fake upstream error {status}.", error.GetProperty("message").GetString());
        Assert.Equal("fake_error", error.GetProperty("code").GetString());
        Assert.Equal(1, _upstream.Calls);
        var row = await TheRowAsync(status, "fake_error");
        Assert.Equal("openai:gpt-test", row.GetString("RouteId"));
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Upstream429Or5xx_IsRetriedWithBackoff_ThenPassedThrough(int status)
    {
        _upstream.Behavior = new FakeBehavior { Status = status, RetryAfter = status == 429 ? "1" : null };

        using var response = await _client.PostAsync("v1/chat/completions", Json(Chat()));

        // RetryAttempts = 2: the first call and two retries, then the upstream's own answer.
        Assert.Equal(3, _upstream.Calls);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal($"Fake upstream error {status}.", (await ErrorOf(response)).GetProperty("message").GetString());
        await TheRowAsync(status, "fake_error");
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData(429, "7", null, "7", "7000")]
    [InlineData(503, "2", "1500", "2", "1500")]
    [InlineData(429, null, "2500", "3", "2500")]
    public async Task AnUpstreamsRetryAfter_IsRelayed_WhenItsAnswerIsFinal(int status, string? retryAfter, string? retryAfterMs,
        string expectedSeconds, string expectedMs)
    {
        _upstream.Behavior = new FakeBehavior { Status = status, RetryAfter = retryAfter, RetryAfterMs = retryAfterMs };

        using var response = await _client.PostAsync("v1/chat/completions", Json(Chat()));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(expectedSeconds, response.Headers.GetValues("Retry-After").Single());
        Assert.Equal(expectedMs, response.Headers.GetValues("retry-after-ms").Single());
        await TheRowAsync(status, "fake_error");
    }

    [Fact]
    public async Task AnUpstreamErrorWithoutRetryAfter_GetsNone()
    {
        _upstream.Behavior = new FakeBehavior { Status = 500 };

        using var response = await _client.PostAsync("v1/chat/completions", Json(Chat()));

        Assert.Equal(500, (int)response.StatusCode);
        Assert.False(response.Headers.Contains("Retry-After"));
        Assert.False(response.Headers.Contains("retry-after-ms"));
    }

    [Fact]
    public async Task AnUpstream503ThatRecovers_IsServedByTheRetry()
    {
        _upstream.Script = (call, _) => call == 1 ? new FakeBehavior { Status = 503 } : new FakeBehavior { Chunks = 2 };

        using var response = await _client.PostAsync("v1/chat/completions", Json(Chat()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, _upstream.Calls);
        await TheRowAsync(200, null);
    }

    [Fact]
    public async Task ARefusedConnection_Is502_AfterRetries()
    {
        using var response = await _client.PostAsync("v1/chat/completions", Json(Chat("dead")));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("upstream_unreachable", error.GetProperty("code").GetString());
        Assert.Equal("api_error", error.GetProperty("type").GetString());
        var row = await TheRowAsync(502, "upstream_unreachable");
        Assert.Equal("openai:dead", row.GetString("RouteId"));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task SlowResponseHeaders_Are504_AtTheUpstreamTimeout_AndTheUpstreamCallIsCancelled()
    {
        await using var slow = await FakeOpenAIUpstream.StartAsync();
        slow.Behavior = new FakeBehavior { HeadersDelay = TimeSpan.FromSeconds(30) };
        await using var app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("gpt-slow", "openai", slow.BaseUrl)
            .With("Sluice:Proxy:UpstreamTimeout", "00:00:00.500"));
        var (account, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);

        using var response = await client.PostAsync("v1/chat/completions", Json(Chat("gpt-slow")));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream_timeout", (await ErrorOf(response)).GetProperty("code").GetString());
        await slow.WaitForAbortAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, slow.Calls);
        var row = Assert.Single(await UsageRows.ForAccountAsync(app, account.Id));
        Assert.Equal(504, row.GetInt32("Status"));
        Assert.Equal("upstream_timeout", row.GetString("ErrorCode"));
    }

    [Theory]
    [InlineData("{\"model\":\"gpt-test\",\"messages\":[", "not valid JSON", null)]
    [InlineData("[1,2]", "must be a JSON object", null)]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""", "model parameter", "model")]
    [InlineData("""{"model":"gpt-test"}""", "'messages'", "messages")]
    [InlineData("""{"model":["gpt-test"],"messages":[{"role":"user","content":"x"}]}""", "'model' must be", "model")]
    [InlineData("""{"model":"gpt-test","messages":[{"role":"user","content":"x"}],"stream":"true"}""", "'stream' must be a boolean", "stream")]
    [InlineData("""{"model":"gpt-test","messages":[{"role":"user","content":"x"}],"max_tokens":"ten"}""", "'max_tokens' must be", "max_tokens")]
    [InlineData("""{"model":"gpt-test","messages":{"role":"user"}}""", "'messages' must be", "messages")]
    [InlineData("", "body is empty", null)]
    public async Task MalformedOrMistypedRequests_Are400_WithAClearMessage_AndNeverReachTheUpstream(string body, string message, string? param)
    {
        using var response = await _client.PostAsync("v1/chat/completions", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(param, error.TryGetProperty("param", out var p) ? p.GetString() : null);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(0, _upstream.Calls);
        await TheRowAsync(400, "invalid_request");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task AnUnknownModel_Is404_ModelNotFound()
    {
        using var response = await _client.PostAsync("v1/chat/completions", Json(Chat("no-such-model")));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("model_not_found", (await ErrorOf(response)).GetProperty("code").GetString());
        await TheRowAsync(404, "model_not_found");
    }

    [Fact]
    public async Task ABodyOverTheLimit_WithContentLength_Is413()
    {
        var body = Chat(extra: $",\"user\":\"{new string('x', BodyLimit)}\"");
        using var content = Json(body);

        using var response = await _client.PostAsync("v1/chat/completions", content);

        Assert.NotNull(content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", (await ErrorOf(response)).GetProperty("code").GetString());
        Assert.Equal(0, _upstream.Calls);
        await TheRowAsync(413, "request_too_large");
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData(BodyLimit + 1)]
    [InlineData(BodyLimit * 4)]
    [InlineData(BodyLimit * 64)]
    public async Task ABodyOverTheLimit_SentChunked_Is413(int size)
    {
        var body = Chat(extra: $",\"user\":\"{new string('x', size)}\"");
        using var content = new ChunkedContent(Encoding.UTF8.GetBytes(body));

        using var response = await _client.PostAsync("v1/chat/completions", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", (await ErrorOf(response)).GetProperty("code").GetString());
        Assert.Equal(0, _upstream.Calls);
        await TheRowAsync(413, "request_too_large");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task ABodyJustUnderTheLimit_SentChunked_IsServed()
    {
        var body = Chat(extra: ",\"user\":\"\"");
        body = body.Replace("\"user\":\"\"", $"\"user\":\"{new string('x', BodyLimit - body.Length)}\"", StringComparison.Ordinal);
        Assert.Equal(BodyLimit, Encoding.UTF8.GetByteCount(body));
        using var content = new ChunkedContent(Encoding.UTF8.GetBytes(body));

        using var response = await _client.PostAsync("v1/chat/completions", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A body of unknown length, so HttpClient sends it with <c>Transfer-Encoding: chunked</c>.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public ChunkedContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < _bytes.Length; offset += 1024)
            {
                await stream.WriteAsync(_bytes.AsMemory(offset, Math.Min(1024, _bytes.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
