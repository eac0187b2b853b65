using System.Buffers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Testing;
using Sluice.Testing.Upstreams;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>Streams through the host on real sockets: every event in order, usage read or estimated, and a client
/// that hangs up cancelling the upstream call.</summary>
public sealed class StreamingEndToEndTests : IAsyncLifetime
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

    private static object StreamRequest(bool includeUsage) => new
    {
        model = "gpt-test",
        stream = true,
        stream_options = new { include_usage = includeUsage },
        messages = new[] { new { role = "user", content = "Count to a big number" } },
    };

    private static List<string> DataLines(string sse) =>
        [.. sse.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l["data: ".Length..])];

    [Fact]
    public async Task ManyChunks_ArePassedThrough_ByteForByte_InOrder_EndingWithDone()
    {
        _upstream.Behavior = new FakeBehavior { Chunks = 3_000, ChunkSize = 40 };
        var (_, key) = await _app.CreateAccountAsync();
        using var client = _app.CreateHttpClient(key);

        using var response = await client.PostAsJsonAsync("v1/chat/completions", StreamRequest(includeUsage: true));
        var relayed = await response.Content.ReadAsStringAsync();

        var expected = DataLines(await DirectUpstreamAnswerAsync());

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1 + 3_000 + 1 + 1 + 1, expected.Count);
        Assert.Equal(expected, DataLines(relayed));
        Assert.Equal("[DONE]", DataLines(relayed)[^1]);
    }

    /// <summary>The events of an SSE body as a client reads them: (event type, id, data), data lines joined.</summary>
    private static List<(string Type, string? Id, string Data)> EventsOf(string sse) =>
        [.. SseParser.Create(new MemoryStream(Encoding.UTF8.GetBytes(sse)), (_, data) => Encoding.UTF8.GetString(data)).Enumerate()
            .Select(item => (item.EventType, item.EventId, item.Data))];

    /// <summary>What the upstream itself answers to exactly what the gateway sent it.</summary>
    private async Task<string> DirectUpstreamAnswerAsync()
    {
        using var direct = new HttpClient();
        using var answer = await direct.PostAsync(new Uri(_upstream.BaseUrl, "chat/completions"),
            new StringContent(_upstream.Requests.Single().Body, Encoding.UTF8, "application/json"));
        return await answer.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task EventsSplitOverSeveralDataLines_WithEventIdCommentsAndCrlf_ReachTheClientWhole()
    {
        _upstream.Behavior = new FakeBehavior { Chunks = 6, SplitEventLines = true };
        var (account, key) = await _app.CreateAccountAsync();
        using var client = _app.CreateHttpClient(key);

        using var response = await client.PostAsJsonAsync("v1/chat/completions", StreamRequest(includeUsage: true));
        var body = await response.Content.ReadAsStringAsync();
        var relayed = EventsOf(body);

        var upstream = await DirectUpstreamAnswerAsync();
        var expected = EventsOf(upstream);

        Assert.Contains(expected, e => e.Data.StartsWith("{\n", StringComparison.Ordinal) && e.Type == "chunk" && e.Id is not null);
        Assert.Equal(expected, relayed);
        // Passed on byte for byte, as the upstream framed them, comments and CRLF included.
        Assert.StartsWith(upstream[..upstream.IndexOf("data: [DONE]", StringComparison.Ordinal)], body, StringComparison.Ordinal);
        Assert.All(relayed.SkipLast(1), e => JsonDocument.Parse(e.Data).Dispose());
        // The usage chunk was read from the joined lines, not estimated from a fragment.
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.False(row.GetBoolean("UsageEstimated"));
        Assert.Equal(6, row.GetInt32("CompletionTokens"));
    }

    [Fact]
    public async Task EventsSplitOverSeveralDataLines_AreReadByTheOfficialClient_ThroughTheGateway()
    {
        _upstream.Behavior = new FakeBehavior { Chunks = 4, SplitEventLines = true };
        var (_, key) = await _app.CreateAccountAsync();

        var text = "";
        await foreach (var update in _app.OpenAIChat(key, "gpt-test").CompleteChatStreamingAsync([new OpenAI.Chat.UserChatMessage("hi")]))
        {
            text += string.Concat(update.ContentUpdate.Select(p => p.Text));
        }

        Assert.Equal(FakeOpenAIUpstream.Content(4), text);
    }

    [Fact]
    public async Task AQuietUpstream_GetsHeartbeatCommentsSentBetweenItsEvents_WhichClientsSkip()
    {
        await using var app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("gpt-test", "openai", _upstream.BaseUrl)
            .With("Sluice:Proxy:StreamHeartbeatInterval", "00:00:00.050"));
        _upstream.Behavior = new FakeBehavior { Chunks = 2, ChunkDelay = TimeSpan.FromMilliseconds(500) };
        var (_, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);

        using var response = await client.PostAsJsonAsync("v1/chat/completions", StreamRequest(includeUsage: false));
        var relayed = await response.Content.ReadAsStringAsync();

        Assert.Contains("\n: ping\n\n", relayed, StringComparison.Ordinal);
        Assert.Equal(["w0 ", "w1 "], EventsOf(relayed)
            .Where(e => e.Data.Contains("\"content\":\"w", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        Assert.EndsWith("data: [DONE]\n\n", relayed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStreamThatEndsWithoutUsage_IsMeteredWithTheTokenizer_AndMarkedEstimated()
    {
        _upstream.Behavior = new FakeBehavior { Chunks = 40, ReportUsage = false };
        var (account, key) = await _app.CreateAccountAsync();
        using var client = _app.CreateHttpClient(key);

        using var response = await client.PostAsJsonAsync("v1/chat/completions", StreamRequest(includeUsage: false));
        var relayed = await response.Content.ReadAsStringAsync();

        Assert.EndsWith("data: [DONE]\n\n", relayed, StringComparison.Ordinal);
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        var estimator = _app.Services.GetRequiredService<TokenEstimator>();
        Assert.True(row.GetBoolean("UsageEstimated"));
        Assert.Equal(200, row.GetInt32("Status"));
        Assert.Equal(estimator.Count(FakeOpenAIUpstream.Content(40)), row.GetInt32("CompletionTokens"));
        using var request = Parse(_upstream.Requests.Single().Body);
        Assert.Equal(estimator.CountPrompt(request), row.GetInt32("PromptTokens"));
        Assert.True(row.GetInt64("CostNanoUsd") > 0);
    }

    [Fact]
    public async Task AClientThatHangsUpMidStream_CancelsTheUpstreamCall_AndGetsAn499RowWithEstimatedUsage()
    {
        _upstream.Behavior = new FakeBehavior { Chunks = 500, ChunkDelay = TimeSpan.FromMilliseconds(20) };
        var (account, key) = await _app.CreateAccountAsync();
        // A client that hangs up: no draining of the rest of the response before the connection closes.
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = _app.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);

        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = JsonContent.Create(StreamRequest(includeUsage: true)) })
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        await using (var body = await response.Content.ReadAsStreamAsync())
        {
            using var reader = new StreamReader(body);
            var contentEvents = 0;
            while (contentEvents < 5 && await reader.ReadLineAsync() is { } line)
            {
                if (line.Contains("\"content\":\"w", StringComparison.Ordinal))
                {
                    contentEvents++;
                }
            }
        }

        await _upstream.WaitForAbortAsync(TimeSpan.FromSeconds(10));
        var row = Assert.Single(await UsageRows.ForAccountAsync(_app, account.Id));
        Assert.Equal(499, row.GetInt32("Status"));
        Assert.Equal("client_disconnected", row.GetString("ErrorCode"));
        Assert.True(row.GetBoolean("UsageEstimated"));
        Assert.True(row.GetInt32("CompletionTokens") >= 5);
        Assert.True(row.GetInt32("PromptTokens") > 0);
        Assert.Equal(1, _upstream.Calls);
    }

    private static ChatRequest Parse(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var rented = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(rented, 0);
        ChatRequest.TryParse(rented, bytes.Length, out var request, out _);
        return request!;
    }
}
