using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Providers;
using Sluice.Testing;
using Sluice.Testing.Upstreams;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>
/// What a hostile or broken client can send, through the host on real sockets: each gets a 4xx in OpenAI's error
/// shape that echoes at most a short, sanitised prefix of what was sent, and exactly one usage row.
/// </summary>
public sealed class HostileInputEndToEndTests : IAsyncLifetime
{
    private FakeOpenAIUpstream _upstream = null!;
    private SluiceApplication _app = null!;
    private string _accountId = "";
    private string _key = "";
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeOpenAIUpstream.StartAsync();
        _app = await SluiceApplication.StartAsync(new RouteSettings().Add("gpt-test", "openai", _upstream.BaseUrl));
        var (account, key) = await _app.CreateAccountAsync();
        _accountId = account.Id;
        _key = key;
        _client = _app.CreateHttpClient(key);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static string Chat(string model = "gpt-test", string content = "hello") =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{content}}"}]}""";

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
    }

    /// <summary>OpenAI's error shape, parsed from a raw body: message, type and code are strings.</summary>
    private static JsonElement ErrorOf(string body)
    {
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("code").ValueKind);
        return error;
    }

    private async Task<TableEntity> TheRowAsync(int status, string? errorCode)
    {
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, _accountId));
        Assert.Equal(status, row.GetInt32("Status"));
        Assert.Equal(errorCode, row.GetString("ErrorCode"));
        return row;
    }

    [Fact]
    public async Task AModelNameOverTheCap_Is400_WithItsRow_AndTheErrorDoesNotEchoIt()
    {
        using var response = await _client.PostAsync("v1/chat/completions",
            new StringContent(Chat(new string('m', 1024 * 1024)), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.True(error.GetProperty("message").GetString()!.Length < 100);
        Assert.Equal(0, _upstream.Calls);
        var row = await TheRowAsync(400, "invalid_request");
        Assert.True((row.GetString("Model") ?? "").Length <= ChatRequest.MaxModelLength);
    }

    [Fact]
    public async Task AnUnknownModel_EchoesOnlyAShortSanitisedPrefixOfItsName()
    {
        // Under the cap, but long and with a bidi override that would reorder the text an operator reads.
        var model = "no-such-model-\u202e" + new string('z', 200);

        using var response = await _client.PostAsync("v1/chat/completions", new StringContent(Chat(model), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var message = (await ErrorOf(response)).GetProperty("message").GetString()!;
        Assert.Contains("'no-such-model-", message, StringComparison.Ordinal);
        Assert.DoesNotContain("\u202e", message, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('z', ApiError.MaxEchoLength), message, StringComparison.Ordinal);
        Assert.True(message.Length < 120, message);
        await TheRowAsync(404, "model_not_found");
    }

    [Theory]
    [InlineData("gpt\\ud800", "hello")]
    [InlineData("gpt-test", "hello \\udc00")]
    [InlineData("gpt-\u00ff", "hello")]   // spliced in as the single byte 0xFF below: invalid UTF-8
    [InlineData("gpt-test", "hello \u00fe")]
    public async Task InvalidUtf8_OrALoneSurrogate_Is400_WithItsRow(string model, string content)
    {
        // Latin-1 turns U+00FF into the byte 0xFF: a body that is not UTF-8.
        var bytes = Encoding.Latin1.GetBytes(Chat(model, content));
        using var body = new ByteArrayContent(bytes);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await _client.PostAsync("v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("UTF-8", (await ErrorOf(response)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _upstream.Calls);
        await TheRowAsync(400, "invalid_request");
    }

    [Fact]
    public async Task BrokenChunkedFraming_Is400_InOpenAIShape_WithItsRow()
    {
        await using var raw = await RawHttp.ConnectAsync(_app.BaseAddress);
        await raw.WriteAsync(RawHttp.PostHead("v1/chat/completions", _key, "Content-Type: application/json", "Transfer-Encoding: chunked"));
        await raw.WriteAsync("5\r\n{\"mod\r\nzz-not-a-size\r\nmore\r\n");

        var response = await raw.ReadResponseAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_request_error", ErrorOf(response.Body).GetProperty("type").GetString());
        Assert.Equal(0, _upstream.Calls);
        await TheRowAsync(400, "invalid_request");
    }

    [Fact]
    public async Task AClientThatHangsUpWhileSendingItsBody_GetsA499Row()
    {
        var budget = _app.Services.GetRequiredService<RequestBodyBudget>();
        await using (var raw = await RawHttp.ConnectAsync(_app.BaseAddress))
        {
            await raw.WriteAsync(RawHttp.PostHead("v1/chat/completions", _key, "Content-Type: application/json", "Content-Length: 5000"));
            await raw.WriteAsync("{\"model\":\"gpt-test\",");
            // Authenticated, and reading the body: its buffer is held.
            await Eventually.Until(() => budget.Held > 0);

            raw.Reset();
        }

        var row = await TheRowAsync(499, "client_disconnected");
        Assert.Equal(0, row.GetInt32("PromptTokens"));
        Assert.Equal(0, _upstream.Calls);
        await Eventually.Until(() => budget.Held == 0);
    }

    [Fact]
    public async Task AClientThatHangsUpBeforeTheUpstreamAnswers_GetsA499Row_WithEstimatedPromptTokens_AndALogLine()
    {
        _upstream.Behavior = new FakeBehavior { HeadersDelay = TimeSpan.FromSeconds(30) };
        var body = Encoding.UTF8.GetBytes(Chat(content: "a prompt of a few words that the upstream is billing for"));
        await using (var raw = await RawHttp.ConnectAsync(_app.BaseAddress))
        {
            await raw.WriteAsync(RawHttp.PostHead("v1/chat/completions", _key, "Content-Type: application/json", $"Content-Length: {body.Length}"));
            await raw.WriteAsync(body);
            await Eventually.Until(() => _upstream.Calls == 1);

            raw.Reset();
        }

        // The gateway cancels its upstream call, and meters what the upstream was sent.
        await _upstream.WaitForAbortAsync(TimeSpan.FromSeconds(30));
        var row = await TheRowAsync(499, "client_disconnected");
        Assert.Equal("openai:gpt-test", row.GetString("RouteId"));
        Assert.True(row.GetBoolean("UsageEstimated"));
        Assert.InRange(row.GetInt32("PromptTokens") ?? 0, 10, 40);
        Assert.Equal(0, row.GetInt32("CompletionTokens"));
        var requestId = row.GetString("RequestId")!;
        Assert.Contains(_app.Logs.Lines, l => l.Contains("Client disconnected", StringComparison.Ordinal) && l.Contains(requestId, StringComparison.Ordinal));
        Assert.DoesNotContain(_app.Logs.Lines, l => l.Contains("billing for", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnhandledFailure_IsA500InOpenAIShape_EvenInDevelopment_AndEchoesNothingSent()
    {
        await using var app = await SluiceApplication.StartAsync(new RouteSettings().Add("boom", FailingProvider.ProviderName),
            environment: "Development", services: s => s.AddSingleton<IChatProvider, FailingProvider>());
        var (_, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(Chat("boom", "secret-prompt-text"), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-canary", "header-canary");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var error = await ErrorOf(response);
        Assert.Equal("api_error", error.GetProperty("type").GetString());
        foreach (var sent in new[] { key, "secret-prompt-text", "header-canary", FailingProvider.Detail, "Exception" })
        {
            Assert.DoesNotContain(sent, text, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(key, StringComparison.Ordinal) || l.Contains("secret-prompt-text", StringComparison.Ordinal));

        // And the host still serves.
        using var models = await client.GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }

    /// <summary>A provider with a bug: it throws what no caller expects.</summary>
    private sealed class FailingProvider : IChatProvider
    {
        public const string ProviderName = "failing";
        public const string Detail = "failing-provider-detail";

        public string Name => ProviderName;

        public void Validate(ModelRoute route)
        {
        }

        public Task<UpstreamResponse> SendAsync(ChatRequest request, ModelRoute route, CancellationToken cancellationToken) =>
            throw new InvalidOperationException(Detail);
    }
}
