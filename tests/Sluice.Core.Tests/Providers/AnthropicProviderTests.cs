using System.Text.Json;
using Sluice.Providers;
using Sluice.Testing.Upstreams;
using static Sluice.Core.Tests.Providers.ProviderHarness;

namespace Sluice.Core.Tests.Providers;

/// <summary>The Anthropic translation both ways, against a fake that speaks the real Messages wire format.</summary>
public sealed class AnthropicProviderTests : IAsyncLifetime
{
    private FakeAnthropicUpstream _fake = null!;
    private AnthropicProvider _provider = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeAnthropicUpstream.StartAsync();
        _provider = new AnthropicProvider(HttpClients, Time);
    }

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private async Task<JsonElement> SentAsync(string json)
    {
        using var request = Request(json);
        await using var response = await _provider.SendAsync(request, Route(_provider, _fake.BaseUrl, "claude-upstream"), default);
        Assert.Null(response.Error);
        return Assert.Single(_fake.Requests).Json;
    }

    [Fact]
    public async Task Request_IsTranslated_SystemRolesPartsToolsAndLimits()
    {
        var sent = await SentAsync("""
            {"model":"claude","store":true,"temperature":0.5,"top_p":0.9,"stop":["END","STOP"],"max_completion_tokens":300,"user":"u-42",
             "messages":[
               {"role":"system","content":"Be brief."},
               {"role":"developer","content":[{"type":"text","text":"Use metric units."}]},
               {"role":"user","content":[{"type":"text","text":"Weather here?"},
                 {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
                 {"type":"image_url","image_url":{"url":"https://example.com/sky.jpg","detail":"low"}}]},
               {"role":"assistant","content":null,"tool_calls":[
                 {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                 {"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}}]},
               {"role":"tool","tool_call_id":"call_1","content":"18C"},
               {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"noon"}]},
               {"role":"user","content":"Thanks"},
               {"role":"assistant","content":"You're welcome."}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather by city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
                      {"type":"function","function":{"name":"get_time"}}],
             "tool_choice":"required","parallel_tool_calls":false}
            """);

        var headers = _fake.Requests.Single().Headers;
        Assert.Equal("/v1/messages", _fake.Requests.Single().Path);
        Assert.Equal("sk-upstream", headers["x-api-key"]);
        Assert.Equal("2023-06-01", headers["anthropic-version"]);
        Assert.Equal("claude-upstream", sent.GetProperty("model").GetString());
        Assert.Equal(300, sent.GetProperty("max_tokens").GetInt32());
        Assert.Equal(0.5, sent.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, sent.GetProperty("top_p").GetDouble());
        Assert.Equal(["END", "STOP"], sent.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("u-42", sent.GetProperty("metadata").GetProperty("user_id").GetString());
        foreach (var dropped in (string[])["store", "stream", "stop", "user", "tool_calls", "parallel_tool_calls", "max_completion_tokens"])
        {
            Assert.False(sent.TryGetProperty(dropped, out _), dropped);
        }
        Assert.Equal("""[{"type":"text","text":"Be brief."},{"type":"text","text":"Use metric units."}]""", sent.GetProperty("system").GetRawText());

        var messages = sent.GetProperty("messages");
        Assert.Equal(["user", "assistant", "user", "assistant"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("""
            [{"type":"text","text":"Weather here?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https://example.com/sky.jpg"}}]
            """, messages[0].GetProperty("content").GetRawText());
        Assert.Equal("""
            [{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},{"type":"tool_use","id":"call_2","name":"get_time","input":{}}]
            """, messages[1].GetProperty("content").GetRawText());
        // Both tool results and the next user text share one user turn, results first.
        Assert.Equal("""
            [{"type":"tool_result","tool_use_id":"call_1","content":"18C"},{"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"noon"}]},{"type":"text","text":"Thanks"}]
            """, messages[2].GetProperty("content").GetRawText());
        Assert.Equal("""[{"type":"text","text":"You're welcome."}]""", messages[3].GetProperty("content").GetRawText());

        Assert.Equal("""
            [{"name":"get_weather","description":"Weather by city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},{"name":"get_time","input_schema":{"type":"object","properties":{}}}]
            """, sent.GetProperty("tools").GetRawText());
        Assert.Equal("""{"type":"any","disable_parallel_tool_use":true}""", sent.GetProperty("tool_choice").GetRawText());
    }

    [Fact]
    public async Task Request_WithoutATokenLimit_GetsTheDocumentedDefault_AndStreamsAskForAStream()
    {
        var sent = await SentAsync("""{"model":"claude","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(AnthropicProvider.DefaultMaxTokens, sent.GetProperty("max_tokens").GetInt32());
        Assert.True(sent.GetProperty("stream").GetBoolean());
        Assert.False(sent.TryGetProperty("stream_options", out _));
        Assert.False(sent.TryGetProperty("system", out _));
        Assert.Equal("""[{"role":"user","content":[{"type":"text","text":"hi"}]}]""", sent.GetProperty("messages").GetRawText());
    }

    [Theory]
    [InlineData("\"auto\"", """{"type":"auto"}""")]
    [InlineData("\"none\"", """{"type":"none"}""")]
    [InlineData("\"required\"", """{"type":"any"}""")]
    [InlineData("""{"type":"function","function":{"name":"f"}}""", """{"type":"tool","name":"f"}""")]
    [InlineData("null", null)]
    public async Task ToolChoice_MapsToItsMessagesApiForm(string openAI, string? anthropic)
    {
        var sent = await SentAsync("""{"model":"c","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"""
            + openAI + "}");

        Assert.Equal(anthropic, sent.TryGetProperty("tool_choice", out var choice) ? choice.GetRawText() : null);
    }

    [Theory]
    [InlineData("""{"model":"c","n":2,"messages":[{"role":"user","content":"x"}]}""", "n")]
    [InlineData("""{"model":"c","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"c","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}""", "messages[0].content[0].image_url.url")]
    [InlineData("""{"model":"c","messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}""", "messages[0].tool_calls[0].function.arguments")]
    [InlineData("""{"model":"c","messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{oops"}}]}]}""", "messages[0].tool_calls[0].function.arguments")]
    [InlineData("""{"model":"c","messages":[{"role":"tool","content":"x"}]}""", "messages[0].tool_call_id")]
    [InlineData("""{"model":"c","messages":[{"role":"function","name":"f","content":"x"}]}""", "messages[0].role")]
    [InlineData("""{"model":"c","messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","custom":{"name":"g"}}]}""", "tools[0]")]
    [InlineData("""{"model":"c","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes"}""", "tool_choice")]
    public async Task RequestsTheMessagesApiCannotExpress_Get400_AndNoUpstreamCall(string json, string param)
    {
        using var request = Request(json);

        await using var response = await _provider.SendAsync(request, Route(_provider, _fake.BaseUrl), default);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(param, ErrorOf(response).GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", ErrorOf(response).GetProperty("type").GetString());
        Assert.Equal(0, _fake.Calls);
    }

    [Fact]
    public async Task Message_BecomesAChatCompletion_WithText_ToolCalls_FinishReason_AndUsageCountingCacheTokens()
    {
        _fake.Behavior = new FakeBehavior
        {
            Chunks = 3, PromptTokens = 11, CacheReadTokens = 4, CacheCreationTokens = 2, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""",
        };
        using var request = Request("""{"model":"claude","messages":[{"role":"user","content":"Weather?"}]}""");

        await using var response = await _provider.SendAsync(request, Route(_provider, _fake.BaseUrl, "claude-upstream"), default);

        var completion = await ReadJsonAsync(response);
        Assert.Equal(FakeAnthropicUpstream.MessageId, completion.GetProperty("id").GetString());
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        Assert.Equal(Time.GetUtcNow().ToUnixTimeSeconds(), completion.GetProperty("created").GetInt64());
        Assert.Equal("claude-upstream", completion.GetProperty("model").GetString());
        var choice = completion.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("w0 w1 w2 ", message.GetProperty("content").GetString());
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal(FakeAnthropicUpstream.ToolUseId, call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("Paris", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
        var usage = completion.GetProperty("usage");
        Assert.Equal(11 + 4 + 2, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(3, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(20, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(4, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("refusal", "content_filter")]
    public async Task StopReasons_MapToFinishReasons_StreamedAndNot(string stopReason, string finishReason)
    {
        _fake.Behavior = new FakeBehavior { Chunks = 2, StopReason = stopReason };
        using var plain = Request("""{"model":"c","messages":[{"role":"user","content":"x"}]}""");
        using var streamed = Request("""{"model":"c","stream":true,"messages":[{"role":"user","content":"x"}]}""");

        await using var json = await _provider.SendAsync(plain, Route(_provider, _fake.BaseUrl), default);
        await using var events = await _provider.SendAsync(streamed, Route(_provider, _fake.BaseUrl), default);

        Assert.Equal(finishReason, (await ReadJsonAsync(json)).GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var (chunks, _) = await ReadEventsAsync(events);
        Assert.Equal(finishReason, chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Stream_BecomesOpenAIChunks_Role_Content_ToolCall_Finish_ThenUsage_AndCompletes()
    {
        _fake.Behavior = new FakeBehavior { Chunks = 3, PromptTokens = 9, CacheReadTokens = 1, ToolName = "get_weather", ToolInput = """{"city":"Paris"}""" };
        using var request = Request("""{"model":"claude","stream":true,"messages":[{"role":"user","content":"Weather?"}]}""");

        await using var response = await _provider.SendAsync(request, Route(_provider, _fake.BaseUrl, "claude-upstream"), default);
        var (chunks, completed) = await ReadEventsAsync(response);

        Assert.True(completed);
        Assert.All(chunks, c =>
        {
            Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString());
            Assert.Equal(FakeAnthropicUpstream.MessageId, c.GetProperty("id").GetString());
            Assert.Equal("claude-upstream", c.GetProperty("model").GetString());
        });
        var deltas = chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1).Select(c => c.GetProperty("choices")[0]).ToList();
        Assert.Equal("assistant", deltas[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(["w0 ", "w1 ", "w2 "], deltas.Skip(1).Take(3).Select(d => d.GetProperty("delta").GetProperty("content").GetString()));
        var toolStart = deltas[4].GetProperty("delta").GetProperty("tool_calls")[0];
        Assert.Equal(0, toolStart.GetProperty("index").GetInt32());
        Assert.Equal(FakeAnthropicUpstream.ToolUseId, toolStart.GetProperty("id").GetString());
        Assert.Equal("function", toolStart.GetProperty("type").GetString());
        Assert.Equal("get_weather", toolStart.GetProperty("function").GetProperty("name").GetString());
        var argumentPieces = deltas.Skip(5).TakeWhile(d => d.GetProperty("finish_reason").ValueKind == JsonValueKind.Null)
            .Select(d => d.GetProperty("delta").GetProperty("tool_calls")[0]).ToList();
        Assert.All(argumentPieces, p => Assert.Equal(0, p.GetProperty("index").GetInt32()));
        Assert.Equal("""{"city":"Paris"}""", string.Concat(argumentPieces.Select(p => p.GetProperty("function").GetProperty("arguments").GetString())));
        Assert.Equal("tool_calls", deltas[^1].GetProperty("finish_reason").GetString());
        var last = chunks[^1];
        Assert.Equal(0, last.GetProperty("choices").GetArrayLength());
        Assert.Equal(9 + 1, last.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(3, last.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(1, last.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_WithAnErrorEvent_EndsWithOpenAIsErrorChunk_WithoutCompleting()
    {
        _fake.Behavior = new FakeBehavior { Chunks = 5, ErrorEventAfterChunks = 2 };
        using var request = Request("""{"model":"claude","stream":true,"messages":[{"role":"user","content":"x"}]}""");

        await using var response = await _provider.SendAsync(request, Route(_provider, _fake.BaseUrl), default);
        var (chunks, completed) = await ReadEventsAsync(response);

        Assert.False(completed);
        // Said as OpenAI says a failure after the stream began: an error chunk, the last, with Anthropic's type as code.
        var error = chunks[^1].GetProperty("error");
        Assert.Equal("overloaded_error", error.GetProperty("code").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("w0 w1 ", ContentOf(chunks.SkipLast(1)));
        Assert.DoesNotContain(chunks, c => c.TryGetProperty("usage", out _));
    }

    [Fact]
    public async Task Stream_CutOffByTheUpstream_IsNeverCompleted()
    {
        _fake.Behavior = new FakeBehavior { Chunks = 5, BreakAfterChunks = 2 };
        using var request = Request("""{"model":"claude","stream":true,"messages":[{"role":"user","content":"x"}]}""");

        await using var response = await _provider.SendAsync(request, Route(_provider, _fake.BaseUrl), default);
        var content = "";
        try
        {
            while (await response.Events!.MoveNextAsync(default))
            {
                content += ContentOf([JsonDocument.Parse(response.Events.Current).RootElement]);
            }
        }
        catch (IOException)
        {
            // The relay treats a read that fails like one that ends early: both are a broken stream.
        }

        Assert.False(response.Events!.Completed);
        Assert.Equal("w0 w1 ", content);
    }

    [Fact]
    public async Task LongStream_IsTranslatedEventByEvent_IntoOneSmallReusedBuffer()
    {
        _fake.Behavior = new FakeBehavior { Chunks = 2_000, ChunkSize = 1_000 };
        using var request = Request("""{"model":"claude","stream":true,"messages":[{"role":"user","content":"x"}]}""");

        await using var response = await _provider.SendAsync(request, Route(_provider, _fake.BaseUrl), default);
        var count = 0;
        var largest = 0;
        while (await response.Events!.MoveNextAsync(default))
        {
            count++;
            largest = Math.Max(largest, response.Events.Current.Length);
        }

        // About 2 MB of text went through; no chunk held more than its own event.
        Assert.True(response.Events.Completed);
        Assert.Equal(1 + 2_000 + 2, count);
        Assert.InRange(largest, 1_000, 2_000);
    }

    [Fact]
    public async Task AnthropicErrors_ComeBackInOpenAIShape_WithTheirStatus()
    {
        _fake.Behavior = new FakeBehavior { Status = 404 };
        using var request = Request("""{"model":"claude","messages":[{"role":"user","content":"x"}]}""");

        await using var response = await _provider.SendAsync(request, Route(_provider, _fake.BaseUrl), default);

        Assert.Equal(404, response.StatusCode);
        var error = ErrorOf(response);
        Assert.Equal("Fake upstream error 404.", error.GetProperty("message").GetString());
        Assert.Equal("not_found_error", error.GetProperty("type").GetString());
        Assert.Equal("not_found_error", error.GetProperty("code").GetString());
        Assert.Equal("not_found_error", response.Error!.Code);
    }

    [Fact]
    public async Task Overloaded529_IsRetried_AndRetryableOnAnotherRoute()
    {
        _fake.Behavior = new FakeBehavior { Status = 529 };
        using var request = Request("""{"model":"claude","messages":[{"role":"user","content":"x"}]}""");

        await using var response = await _provider.SendAsync(request, Route(_provider, _fake.BaseUrl), default);

        Assert.Equal(3, _fake.Calls);
        Assert.True(response.Error!.IsRetryable);
        Assert.Equal("overloaded_error", ErrorOf(response).GetProperty("type").GetString());
    }
}
