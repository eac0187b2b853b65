using OpenAI.Chat;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>The official OpenAI .NET client against the local host, with a fake OpenAI upstream on a socket and
/// the usage rows read back from Azurite.</summary>
public sealed class ChatCompletionsEndToEndTests : IAsyncLifetime
{
    private FakeOpenAIUpstream _upstream = null!;
    private SluiceApplication _app = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeOpenAIUpstream.StartAsync();
        _app = await SluiceApplication.StartAsync(new RouteSettings().Add("gpt-test", "openai", _upstream.BaseUrl, input: 2.5m, output: 10m));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task NonStreaming_OfficialClient_GetsTheAnswer_AndOneUsageRowWithTokensAndCost()
    {
        _upstream.Behavior = new FakeBehavior { Chunks = 5, PromptTokens = 17 };
        var (account, key) = await _app.CreateAccountAsync();

        var completion = (await _app.OpenAIChat(key, "gpt-test").CompleteChatAsync([new UserChatMessage("Say hello")])).Value;

        Assert.Equal(FakeOpenAIUpstream.Content(5), completion.Content[0].Text);
        Assert.Equal(17, completion.Usage.InputTokenCount);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(17, row.GetInt32("PromptTokens"));
        Assert.Equal(5, row.GetInt32("CompletionTokens"));
        Assert.Equal(22, row.GetInt32("TotalTokens"));
        // 17 × $2.50/M + 5 × $10/M = $0.0000925 = 92,500 nano-dollars.
        Assert.Equal(92_500, row.GetInt64("CostNanoUsd"));
        Assert.Equal(200, row.GetInt32("Status"));
        Assert.False(row.GetBoolean("Streamed"));
        Assert.False(row.GetBoolean("UsageEstimated"));
        Assert.Equal("openai:gpt-test", row.GetString("RouteId"));
        Assert.Equal("us", row.GetString("DataRegion"));
        Assert.Equal("gpt-test", row.GetString("Model"));
        Assert.True(row.GetDouble("LatencyMs") > 0);

        var sent = Assert.Single(_upstream.Requests);
        Assert.Equal("Bearer sk-upstream-test", sent.Headers["authorization"]);
        Assert.Equal("gpt-test", sent.Json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Streaming_OfficialClient_ReceivesEveryChunkInOrder_AndTheRowCarriesStreamUsage()
    {
        _upstream.Behavior = new FakeBehavior { Chunks = 25, PromptTokens = 9 };
        var (account, key) = await _app.CreateAccountAsync();

        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in _app.OpenAIChat(key, "gpt-test").CompleteChatStreamingAsync([new UserChatMessage("Count")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage ??= update.Usage;
        }

        Assert.Equal(FakeOpenAIUpstream.Content(25), text.ToString());
        Assert.Equal(25, usage?.OutputTokenCount);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.True(row.GetBoolean("Streamed"));
        Assert.False(row.GetBoolean("UsageEstimated"));
        Assert.Equal(9, row.GetInt32("PromptTokens"));
        Assert.Equal(25, row.GetInt32("CompletionTokens"));
        Assert.Equal(9 * 2_500 + 25 * 10_000, row.GetInt64("CostNanoUsd"));
        Assert.NotNull(row.GetDouble("TimeToFirstTokenMs"));
        Assert.True(_upstream.Requests.Single().Json.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task MockModel_AnswersWithoutAnyProvider_StreamingAndNot_WithRealTokenCounts()
    {
        var (account, key) = await _app.CreateAccountAsync();
        var chat = _app.OpenAIChat(key, "mock");

        var completion = (await chat.CompleteChatAsync([new UserChatMessage("Hello there")])).Value;
        var streamed = new System.Text.StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Hello there")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }
        }

        Assert.Equal(32, completion.Content[0].Text.Split(' ').Length);
        Assert.Equal(completion.Content[0].Text, streamed.ToString());
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.True(completion.Usage.OutputTokenCount >= 32);
        var rows = await UsageRows.ForAccountAsync(_app, account.Id, expected: 2);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(completion.Usage.OutputTokenCount, r.GetInt32("CompletionTokens")));
        Assert.Equal(0, _upstream.Calls);
    }
}
