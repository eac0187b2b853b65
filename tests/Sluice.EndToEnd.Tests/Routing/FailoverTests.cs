using System.Net;
using System.Net.Http.Json;
using Azure.Data.Tables;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Routing;

/// <summary>
/// A model with ordered routes: a refused connection, 429 or 5xx on the first (after its own retries) moves the
/// request to the next allowed route, before any byte reached the client; the usage row names the route that
/// served. A stream that already started is never replayed, and a forbidden route is never a fallback.
/// </summary>
public sealed class FailoverTests : IAsyncLifetime
{
    private FakeOpenAIUpstream _first = null!;
    private FakeAnthropicUpstream _second = null!;
    private FakeOpenAIUpstream _forbidden = null!;
    private SluiceApplication _app = null!;
    private string _accountId = "";
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _first = await FakeOpenAIUpstream.StartAsync();
        _second = await FakeAnthropicUpstream.StartAsync();
        _forbidden = await FakeOpenAIUpstream.StartAsync();
        var closed = ClosedUpstream.BaseUrl();
        _app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("chat", "openai", _first.BaseUrl, id: "first", region: "us", retention: "none")
            .Add("chat", "anthropic", _second.BaseUrl, id: "second", upstreamModel: "claude-backup", region: "us", retention: "abuse-monitoring", retentionDays: 30)
            .Add("dead-first", "openai", closed, id: "unreachable", region: "us")
            .Add("dead-first", "anthropic", _second.BaseUrl, id: "second", upstreamModel: "claude-backup", region: "us", retention: "abuse-monitoring", retentionDays: 30)
            .Add("guarded", "openai", _first.BaseUrl, id: "first", region: "us")
            .Add("guarded", "openai", _forbidden.BaseUrl, id: "elsewhere", region: "eu"));
        var (account, key) = await _app.CreateAccountAsync();
        _accountId = account.Id;
        _client = _app.CreateHttpClient(key);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        await _forbidden.DisposeAsync();
    }

    private static object Chat(string model, bool stream = false) => new { model, stream, messages = new[] { new { role = "user", content = "hi" } } };

    private async Task<TableEntity> TheRowAsync()
    {
        var rows = await Sluice.EndToEnd.Tests.UsageRows.ForAccountAsync(_app, _accountId);
        return Assert.Single(rows);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    [InlineData(429)]
    public async Task FirstRouteFailing_TheSecondServes_AndTheRowNamesIt(int status)
    {
        _first.Behavior = new FakeBehavior { Status = status, RetryAfter = "1", RetryAfterMs = "1000" };
        _second.Behavior = new FakeBehavior { Chunks = 3, PromptTokens = 8 };

        using var response = await _client.PostAsJsonAsync("v1/chat/completions", Chat("chat"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The first route's wish to be left alone is not the answer's: another route took the request.
        Assert.False(response.Headers.Contains("Retry-After"));
        Assert.False(response.Headers.Contains("retry-after-ms"));
        Assert.Equal("w0 w1 w2 ", (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>())
            .GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(3, _first.Calls); // its own retries first
        Assert.Equal(1, _second.Calls);
        var row = await TheRowAsync();
        Assert.Equal(200, row.GetInt32("Status"));
        Assert.Equal("second", row.GetString("RouteId"));
        Assert.Equal("us", row.GetString("RouteRegion"));
        Assert.Equal("abuse-monitoring", row.GetString("RouteRetention"));
        Assert.Equal("anthropic", row.GetString("Provider"));
        Assert.Equal("claude-backup", row.GetString("UpstreamModel"));
        Assert.Equal(8, row.GetInt32("PromptTokens"));
    }

    [Fact]
    public async Task FirstRouteRefusingConnections_TheSecondServes()
    {
        using var response = await _client.PostAsJsonAsync("v1/chat/completions", Chat("dead-first"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _second.Calls);
        var row = await TheRowAsync();
        Assert.Equal("second", row.GetString("RouteId"));
        Assert.Equal("abuse-monitoring", row.GetString("RouteRetention"));
    }

    [Fact]
    public async Task AStreamRequest_FailsOverBeforeItsFirstByte()
    {
        _first.Behavior = new FakeBehavior { Status = 503 };
        _second.Behavior = new FakeBehavior { Chunks = 4 };

        using var response = await _client.PostAsJsonAsync("v1/chat/completions", Chat("chat", stream: true));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Equal(1, _second.Calls);
        var row = await TheRowAsync();
        Assert.True(row.GetBoolean("Streamed"));
        Assert.Equal("second", row.GetString("RouteId"));
    }

    [Fact]
    public async Task AStreamThatBreaksAfterItsFirstChunk_IsNotReplayed_TheClientIsCutOff_AndTheRowIs502()
    {
        _first.Behavior = new FakeBehavior { Chunks = 10, BreakAfterChunks = 1 };

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = JsonContent.Create(Chat("chat", stream: true)) };
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = "";
        var cutOff = await Record.ExceptionAsync(async () =>
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line)
            {
                received += line + "\n";
            }
        });

        // The client saw the first chunk, then an aborted connection: never [DONE], never a second answer.
        Assert.NotNull(cutOff);
        Assert.Contains("w0 ", received, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", received, StringComparison.Ordinal);
        Assert.Equal(1, _first.Calls);
        Assert.Equal(0, _second.Calls);
        var row = await TheRowAsync();
        Assert.Equal(502, row.GetInt32("Status"));
        Assert.Equal("upstream_stream_broken", row.GetString("ErrorCode"));
        Assert.Equal("first", row.GetString("RouteId"));
        Assert.True(row.GetBoolean("UsageEstimated"));
    }

    [Fact]
    public async Task FailoverNeverFallsBackToAForbiddenRoute_TheLastAllowedRoutesErrorPassesThrough()
    {
        _first.Behavior = new FakeBehavior { Status = 503 };

        using var response = await _client.PostAsJsonAsync("v1/chat/completions", Chat("guarded"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(3, _first.Calls);
        Assert.Equal(0, _forbidden.Calls);
        var row = await TheRowAsync();
        Assert.Equal(503, row.GetInt32("Status"));
        Assert.Equal("first", row.GetString("RouteId"));
    }

    [Fact]
    public async Task ANonRetryableError_IsFinal_TheSecondRouteIsNotTried()
    {
        _first.Behavior = new FakeBehavior { Status = 400 };

        using var response = await _client.PostAsJsonAsync("v1/chat/completions", Chat("chat"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, _first.Calls);
        Assert.Equal(0, _second.Calls);
    }

    [Fact]
    public async Task Messages_FailOverFromATranslatedRouteToAPassThroughOne_BeforeTheFirstByte()
    {
        _first.Behavior = new FakeBehavior { Status = 503 };
        _second.Behavior = new FakeBehavior { Chunks = 3, PromptTokens = 8 };

        using var response = await _client.PostAsJsonAsync("v1/messages",
            new { model = "chat", max_tokens = 64, stream = true, messages = new[] { new { role = "user", content = "hi" } } });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_stop", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        Assert.Equal(3, _first.Calls);
        Assert.Equal(1, _second.Calls);
        var row = await TheRowAsync();
        Assert.Equal("messages", row.GetString("Endpoint"));
        Assert.Equal("second", row.GetString("RouteId"));
        Assert.Equal(8, row.GetInt32("PromptTokens"));
    }

    [Fact]
    public async Task Messages_AndEmbeddings_NeverFallBackToAForbiddenRoute_TheErrorInEachSurfacesShape()
    {
        _first.Behavior = new FakeBehavior { Status = 503 };

        using var messages = await _client.PostAsJsonAsync("v1/messages",
            new { model = "guarded", max_tokens = 64, messages = new[] { new { role = "user", content = "hi" } } });
        using var embeddings = await _client.PostAsJsonAsync("v1/embeddings", new { model = "guarded", input = "hi" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, messages.StatusCode);
        var anthropic = await messages.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("api_error", anthropic.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, embeddings.StatusCode);
        var openai = await embeddings.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("server_error", openai.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(6, _first.Calls);
        Assert.Equal(0, _forbidden.Calls);
    }

    [Fact]
    public async Task Responses_FailOverFromAPassThroughRouteToATranslatedOne_BeforeTheFirstByte_AndNeverToAForbiddenRoute()
    {
        _first.Behavior = new FakeBehavior { Status = 503 };
        _second.Behavior = new FakeBehavior { Chunks = 3, PromptTokens = 8 };

        using var response = await _client.PostAsJsonAsync("v1/responses", new { model = "chat", stream = true, input = "hi" });
        var body = await response.Content.ReadAsStringAsync();
        using var guarded = await _client.PostAsJsonAsync("v1/responses", new { model = "guarded", input = "hi" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: response.completed", body, StringComparison.Ordinal);
        Assert.Contains("w2 ", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, guarded.StatusCode);
        var error = await guarded.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("server_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(6, _first.Calls);
        Assert.Equal(1, _second.Calls);
        Assert.Equal(0, _forbidden.Calls);
        var rows = await Sluice.EndToEnd.Tests.UsageRows.ForAccountAsync(_app, _accountId, expected: 2);
        var served = Assert.Single(rows, r => r.GetInt32("Status") == 200);
        Assert.Equal("responses", served.GetString("Endpoint"));
        Assert.Equal("second", served.GetString("RouteId"));
        Assert.Equal(8, served.GetInt32("PromptTokens"));
    }
}
