using System.Text;
using OpenAI.Chat;
using Sluice.Testing;
using Sluice.Testing.Upstreams;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Privacy;

/// <summary>
/// The promise users of other gateways found broken: content logged although content logging was off. A unique
/// canary goes through every way a request can end (success, stream, client hang-up, malformed request, upstream
/// 4xx that echoes the prompt, upstream 5xx, a failure mid-stream, timeout) on every surface; then every table, every
/// blob and every captured log line is searched for it.
/// </summary>
public sealed class CanaryTests : IAsyncLifetime
{
    private FakeOpenAIUpstream _upstream = null!;
    private SluiceApplication _app = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeOpenAIUpstream.StartAsync();
        _app = await SluiceApplication.StartAsync(new RouteSettings().Add("gpt-test", "openai", _upstream.BaseUrl)
            .With("Sluice:Proxy:UpstreamTimeout", "00:00:01")
            // Every category at every level, the framework's own included: the search covers all that could be logged.
            .With("Logging:LogLevel:Default", "Trace")
            .With("Logging:LogLevel:Microsoft.AspNetCore", "Trace")
            .With("Logging:LogLevel:Microsoft.Extensions.Http", "Trace")
            .With("Logging:LogLevel:Polly", "Trace"));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task MetadataOnlyAccount_CanaryInEveryKindOfRequest_IsFoundInNoTableNoBlobAndNoLogLine()
    {
        var canary = "CANARY" + Guid.NewGuid().ToString("N");
        var (account, key) = await _app.CreateAccountAsync();
        Assert.Equal("metadata_only", (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/account/retention")).Json.GetProperty("content_mode").GetString());

        var rows = await SendEveryKindAsync(key, canary);

        Assert.Equal(rows, (await UsageRows.ForAccountAsync(_app, account.Id, rows)).Count);
        // The search does see this app's data (so an empty result means something).
        Assert.NotEmpty(await StorageScan.FindAsync(account.Id));
        Assert.Contains(_app.Logs.Lines, line => line.Contains("Client disconnected", StringComparison.Ordinal));
        Assert.Empty(await StorageScan.FindAsync(canary));
        Assert.DoesNotContain(_app.Logs.Lines, line => line.Contains(canary, StringComparison.Ordinal));
        Assert.All(await UsageRows.ForAccountAsync(_app, account.Id, rows), r => Assert.Null(r.GetString("ContentBlob")));
    }

    [Fact]
    public async Task RetainAllAccount_CanaryIsOnlyInsideEncryptedPayloads_NeverInTablesLogsOrRawBlobBytes()
    {
        var canary = "CANARY" + Guid.NewGuid().ToString("N");
        var (account, key) = await _app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, key, """{"content_mode":"retain_all","content_retention_days":7}""")).Status);

        var rows = await SendEveryKindAsync(key, canary);

        var stored = await UsageRows.ForAccountAsync(_app, account.Id, rows);
        Assert.Equal(rows, stored.Count);
        Assert.Contains(await StorageScan.FindAsync(account.Id), hit => hit.Contains("-payloads/" + account.Id, StringComparison.Ordinal));
        // Raw bytes of every blob, payloads included: encrypted, so the canary is nowhere.
        Assert.Empty(await StorageScan.FindAsync(canary));
        Assert.DoesNotContain(_app.Logs.Lines, line => line.Contains(canary, StringComparison.Ordinal));
        // And yet it was stored: the successful requests' payloads decrypt to the prompt and the completion.
        var withContent = stored.Where(r => r.GetString("ContentBlob") is { Length: > 0 }).ToList();
        Assert.True(withContent.Count >= 2);
        foreach (var row in withContent)
        {
            var view = await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/requests/" + row.GetString("RequestId"));
            Assert.Equal(200, view.Status);
            Assert.Contains(canary, view.Body, StringComparison.Ordinal);
        }
    }

    /// <summary>Sends one request of each kind; returns how many usage rows they make.</summary>
    private async Task<int> SendEveryKindAsync(string key, string canary)
    {
        // Success, JSON and streamed: the upstream echoes the canary in its completion too.
        _upstream.Behavior = new FakeBehavior { ContentPrefix = canary + " " };
        var chat = _app.OpenAIChat(key, "gpt-test");
        var completion = (await chat.CompleteChatAsync([new UserChatMessage("Repeat " + canary)])).Value;
        Assert.StartsWith(canary, completion.Content[0].Text, StringComparison.Ordinal);
        var streamed = new StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Repeat " + canary)]))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }
        }
        Assert.StartsWith(canary, streamed.ToString(), StringComparison.Ordinal);

        // The other surfaces: Anthropic Messages (translated to this OpenAI route), JSON, streamed, counted and
        // malformed; and embeddings of the canary.
        foreach (var stream in (bool[])[false, true])
        {
            var messages = await SendAsync(key, "v1/messages",
                $$"""{"model":"gpt-test","max_tokens":50,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Repeat {{canary}}"}]}""");
            Assert.Equal(200, messages.Status);
            Assert.Contains(canary, messages.Body, StringComparison.Ordinal);
        }
        Assert.Equal(200, (await SendAsync(key, "v1/messages/count_tokens", $$"""{"model":"gpt-test","messages":[{"role":"user","content":"{{canary}}"}]}""")).Status);
        var badMessages = await SendAsync(key, "v1/messages", $$"""{"model":"gpt-test","max_tokens":"{{canary}}","messages":[{"role":"{{canary}}","content":"{{canary}}"}]}""");
        Assert.Equal(400, badMessages.Status);
        Assert.DoesNotContain(canary, badMessages.Body, StringComparison.Ordinal);
        Assert.Equal(200, (await SendAsync(key, "v1/embeddings", $$"""{"model":"gpt-test","input":["{{canary}}"]}""")).Status);

        // Responses (passed through to this OpenAI route): JSON, streamed, malformed, and failing mid-stream.
        foreach (var stream in (bool[])[false, true])
        {
            var responses = await SendAsync(key, "v1/responses",
                $$"""{"model":"gpt-test","stream":{{(stream ? "true" : "false")}},"input":"Repeat {{canary}}"}""");
            Assert.Equal(200, responses.Status);
            Assert.Contains(canary, responses.Body, StringComparison.Ordinal);
        }
        var badResponses = await SendAsync(key, "v1/responses", $$"""{"model":"gpt-test","input":"{{canary}}","temperature":"{{canary}}"}""");
        Assert.Equal(400, badResponses.Status);
        Assert.DoesNotContain(canary, badResponses.Body, StringComparison.Ordinal);
        _upstream.Behavior = new FakeBehavior { ContentPrefix = canary + " ", ErrorEventAfterChunks = 2 };
        var failed = await SendAsync(key, "v1/responses", $$"""{"model":"gpt-test","stream":true,"input":"Repeat {{canary}}"}""");
        Assert.Contains("event: response.failed", failed.Body, StringComparison.Ordinal);

        // The client hangs up mid-stream.
        _upstream.Behavior = new FakeBehavior { ContentPrefix = canary + " ", Chunks = 50, ChunkDelay = TimeSpan.FromMilliseconds(50) };
        using (var client = _app.CreateHttpClient(key))
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(Gateway.ChatBody("gpt-test", "Repeat " + canary, stream: true), Encoding.UTF8, "application/json"),
        })
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[256];
            Assert.True(await body.ReadAsync(buffer) > 0);
        }

        // Malformed requests: not JSON, a field of the wrong type holding the canary, an unknown role.
        foreach (var malformed in (string[])[
            $$"""{"model":"gpt-test","messages":[{"role":"user","content":"{{canary}}""",
            Gateway.ChatBody("gpt-test", canary, extra: $$""","temperature":"{{canary}}" """),
            $$"""{"model":"gpt-test","messages":[{"role":"{{canary}}","content":"{{canary}}"}]}""",
        ])
        {
            var answer = await Gateway.ChatAsync(_app, key, malformed);
            Assert.Equal(400, answer.Status);
            Assert.DoesNotContain(canary, answer.Body, StringComparison.Ordinal);
        }

        // The upstream refuses and echoes the prompt in its error body: the client that sent it gets it back, no one else.
        _upstream.Behavior = new FakeBehavior
        {
            Status = 400,
            ErrorBody = $$$"""{"error":{"message":"Your prompt '{{{canary}}}' violates policy.","type":"invalid_request_error","param":null,"code":"content_policy"}}""",
        };
        Assert.Equal(400, (await Gateway.ChatAsync(_app, key, Gateway.ChatBody("gpt-test", canary))).Status);
        _upstream.Behavior = new FakeBehavior
        {
            Status = 500,
            ErrorBody = $$$"""{"error":{"message":"Internal error while processing '{{{canary}}}'.","type":"server_error","param":null,"code":null}}""",
        };
        Assert.Equal(500, (await Gateway.ChatAsync(_app, key, Gateway.ChatBody("gpt-test", canary))).Status);

        // The upstream does not answer in time (the gateway's deadline is one second here).
        _upstream.Behavior = new FakeBehavior { HeadersDelay = TimeSpan.FromSeconds(5) };
        Assert.Equal(504, (await Gateway.ChatAsync(_app, key, Gateway.ChatBody("gpt-test", canary))).Status);
        _upstream.Behavior = new FakeBehavior();
        return 18;
    }

    private async Task<Gateway.Answer> SendAsync(string key, string path, string body)
    {
        using var client = _app.CreateHttpClient(key);
        using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        return new Gateway.Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(), null);
    }
}
