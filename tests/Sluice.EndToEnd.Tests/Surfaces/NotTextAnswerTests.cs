using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Surfaces;

/// <summary>
/// An upstream answer whose text holds a lone UTF-16 surrogate escape (<c>"\ud800"</c>): valid JSON, but not text, so
/// it cannot be written as UTF-8. Passed through, it reaches the client as sent; translated, it is the upstream's
/// failure: a 502 in the caller's wire format for a whole answer, a broken stream for a stream. Either way the request
/// keeps exactly one usage row (before, the translation's exception ended the request as a 500 without its row).
/// </summary>
public sealed class NotTextAnswerTests : IAsyncLifetime
{
    private FakeOpenAIUpstream _openai = null!;
    private SluiceApplication _app = null!;

    public async Task InitializeAsync()
    {
        _openai = await FakeOpenAIUpstream.StartAsync();
        _openai.Behavior = new FakeBehavior { Chunks = 4, ContentPrefix = "\\ud800 " };
        _app = await SluiceApplication.StartAsync(new RouteSettings().Add("oai-test", "openai-compatible", _openai.BaseUrl));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _openai.DisposeAsync();
    }

    private static string Body(string path, bool stream) => path switch
    {
        "v1/messages" => $$"""{"model":"oai-test","max_tokens":64,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Hi"}]}""",
        "v1/responses" => $$"""{"model":"oai-test","stream":{{(stream ? "true" : "false")}},"input":"Hi"}""",
        _ => $$"""{"model":"oai-test","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Hi"}]}""",
    };

    [Theory]
    [InlineData("v1/chat/completions", false)]
    [InlineData("v1/chat/completions", true)]
    public async Task PassedThrough_TheAnswerReachesTheClientAsSent_WithItsRow(string path, bool stream)
    {
        var (account, key) = await _app.CreateAccountAsync();
        using var client = _app.CreateHttpClient(key);

        using var response = await client.PostAsync(path, new StringContent(Body(path, stream), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\\ud800 w0", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(200, row.GetInt32("Status"));
    }

    [Theory]
    [InlineData("v1/messages")]
    [InlineData("v1/responses")]
    public async Task Translated_AWholeAnswer_Is502InTheCallersFormat_WithItsRow(string path)
    {
        var (account, key) = await _app.CreateAccountAsync();
        using var client = _app.CreateHttpClient(key);

        using var response = await client.PostAsync(path, new StringContent(Body(path, stream: false), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (path == "v1/messages")
        {
            Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        }
        Assert.True(error.RootElement.GetProperty("error").GetProperty("message").GetString()!.Length > 0);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(502, row.GetInt32("Status"));
    }

    [Theory]
    [InlineData("v1/messages")]
    [InlineData("v1/responses")]
    public async Task Translated_AStream_BreaksOff_WithItsRow(string path)
    {
        var (account, key) = await _app.CreateAccountAsync();
        using var client = _app.CreateHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(Body(path, stream: true), Encoding.UTF8, "application/json") };

        // The text is in the first chunk, so the cut can come before or after the headers reach the client; either
        // way the connection is reset, which is how a client learns the answer is not whole.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await response.Content.ReadAsStringAsync();
        });
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(502, row.GetInt32("Status"));
        Assert.Equal("upstream_stream_broken", row.GetString("ErrorCode"));
    }
}
