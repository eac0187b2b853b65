using System.Net;
using System.Text;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Surfaces;

/// <summary>
/// An upstream that fails after its stream began says so in the stream (Anthropic's <c>error</c> event, OpenAI's error
/// chunk, Responses' <c>response.failed</c>). Every surface passes that on in its own shape, passed through or
/// translated, as the stream's last event and never a success's end; and the row records the failure (502 with the
/// upstream's code), not the 200 the headers said, whether the answer's end waits for the row or not.
/// </summary>
public sealed class InBandErrorTests : IAsyncLifetime
{
    private FakeAnthropicUpstream _anthropic = null!;
    private FakeOpenAIUpstream _openai = null!;
    private SluiceApplication _app = null!;
    private SluiceApplication _held = null!;

    public async Task InitializeAsync()
    {
        _anthropic = await FakeAnthropicUpstream.StartAsync();
        _openai = await FakeOpenAIUpstream.StartAsync();
        _anthropic.Behavior = new FakeBehavior { Chunks = 6, ErrorEventAfterChunks = 3 };
        _openai.Behavior = new FakeBehavior { Chunks = 6, ErrorEventAfterChunks = 3 };
        _app = await SluiceApplication.StartAsync(Routes());
        var held = Routes();
        held["Sluice:Usage:WaitForCommit"] = "true";
        held["Sluice:Usage:HoldAnswerEndUntilCommit"] = "true";
        _held = await SluiceApplication.StartAsync(held);
    }

    private RouteSettings Routes() => new RouteSettings()
        .Add("claude-test", "anthropic", new Uri(_anthropic.Root, "v1/"))
        .Add("gpt", "openai", _openai.BaseUrl)
        .Add("oai-test", "openai-compatible", _openai.BaseUrl);

    public async Task DisposeAsync()
    {
        await _held.DisposeAsync();
        await _app.DisposeAsync();
        await _anthropic.DisposeAsync();
        await _openai.DisposeAsync();
    }

    public static TheoryData<string, string, string, string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, string, string, string, bool>();
        foreach (var held in (bool[])[false, true])
        {
            // surface, model (route), the failure event the client must get, the success end it must not, the row's code
            data.Add("v1/messages", "claude-test", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"", "message_stop", "overloaded_error", held);
            data.Add("v1/messages", "oai-test", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\"", "message_stop", "server_error", held);
            data.Add("v1/responses", "gpt", "event: response.failed\n", "response.completed", "server_error", held);
            data.Add("v1/responses", "oai-test", "event: response.failed\n", "response.completed", "server_error", held);
            data.Add("v1/responses", "claude-test", "event: response.failed\n", "response.completed", "overloaded_error", held);
            data.Add("v1/chat/completions", "oai-test", "data: {\"error\":{", "[DONE]", "server_error", held);
            data.Add("v1/chat/completions", "claude-test", "data: {\"error\":{\"message\":\"The upstream provider failed while answering.\",\"type\":\"server_error\",\"param\":null,\"code\":\"overloaded_error\"}}", "[DONE]", "overloaded_error", held);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AnUpstreamsFailureMidStream_ReachesTheClientInItsSurfacesShape_AndTheRowRecordsIt(
        string path, string model, string failure, string success, string code, bool held)
    {
        var app = held ? _held : _app;
        var (account, key) = await app.CreateAccountAsync();
        var body = path switch
        {
            "v1/messages" => $$"""{"model":"{{model}}","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}""",
            "v1/responses" => $$"""{"model":"{{model}}","stream":true,"input":"Hi"}""",
            _ => $$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"Hi"}]}""",
        };
        using var client = app.CreateHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The failure event is the stream's honest end: read to a clean end, with the text before it.
        var received = (await response.Content.ReadAsStringAsync()).ReplaceLineEndings("\n");

        Assert.Contains("w2 ", received, StringComparison.Ordinal);
        Assert.Contains(failure, received, StringComparison.Ordinal);
        Assert.DoesNotContain(success, received, StringComparison.Ordinal);
        Assert.DoesNotContain("w3 ", received, StringComparison.Ordinal);
        Assert.EndsWith("\n\n", received, StringComparison.Ordinal);
        var row = Assert.Single(await UsageRows.ForAccountAsync(app, account.Id));
        Assert.Equal(502, row.GetInt32("Status"));
        Assert.Equal(code, row.GetString("ErrorCode"));
        Assert.True(row.GetBoolean("Streamed"));
    }
}
