using System.Text;
using System.Text.Json;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Translation;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Core.Tests.Translation;

/// <summary>
/// Messages ⇄ Chat Completions through the one hub: a Messages request translated to the hub and back by the Anthropic
/// provider's own translation must say the same thing; a hub answer translated to Messages and back likewise; and a
/// hub stream that breaks off must never end like a whole Messages stream.
/// </summary>
public sealed class MessagesTranslationTests
{
    private const string ToolConversation = """
        {"model":"m","max_tokens":100,"system":"Use tools.","stop_sequences":["END"],"temperature":0.5,
         "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
         "tool_choice":{"type":"any"},
         "messages":[
           {"role":"user","content":"Weather in Paris?"},
           {"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
           {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},{"type":"text","text":"And tomorrow?"}]}]}
        """;

    [Fact]
    public void ToolConversation_ToTheHubAndBack_IsTheSameConversation()
    {
        using var original = JsonDocument.Parse(ToolConversation);
        using var chat = ToChat(original.RootElement);

        using var back = new PooledBufferWriter();
        Assert.Null(AnthropicRequestBody.Write(chat, "m", 4096, back));
        using var roundTrip = JsonDocument.Parse(back.WrittenMemory);
        var r = roundTrip.RootElement;

        Assert.Equal(100, r.GetProperty("max_tokens").GetInt32());
        Assert.Equal("Use tools.", r.GetProperty("system")[0].GetProperty("text").GetString());
        Assert.Equal("END", r.GetProperty("stop_sequences")[0].GetString());
        Assert.Equal(0.5, r.GetProperty("temperature").GetDouble());
        Assert.Equal("any", r.GetProperty("tool_choice").GetProperty("type").GetString());
        Assert.Equal("get_weather", r.GetProperty("tools")[0].GetProperty("name").GetString());
        Assert.Equal(original.RootElement.GetProperty("tools")[0].GetProperty("input_schema").GetRawText(), r.GetProperty("tools")[0].GetProperty("input_schema").GetRawText());
        var messages = r.GetProperty("messages");
        Assert.Equal(["user", "assistant", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        var toolUse = messages[1].GetProperty("content")[1];
        Assert.Equal(("tool_use", "toolu_1", "get_weather", "Paris"),
            (toolUse.GetProperty("type").GetString(), toolUse.GetProperty("id").GetString(), toolUse.GetProperty("name").GetString(),
             toolUse.GetProperty("input").GetProperty("city").GetString()));
        var result = messages[2].GetProperty("content");
        Assert.Equal(("tool_result", "toolu_1", "18C"), (result[0].GetProperty("type").GetString(), result[0].GetProperty("tool_use_id").GetString(), result[0].GetProperty("content").GetString()));
        Assert.Equal("And tomorrow?", result[1].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("""{"model":"m","max_tokens":5,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"Hi"}]}""", "thinking")]
    [InlineData("""{"model":"m","max_tokens":5,"top_k":3,"messages":[{"role":"user","content":"Hi"}]}""", "top_k")]
    [InlineData("""{"model":"m","max_tokens":5,"tools":[{"type":"bash_20250124","name":"bash"}],"messages":[{"role":"user","content":"Hi"}]}""", "tools[0].type")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"x"}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":true,"content":"x"}]}]}""", "messages[0].content[0].is_error")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":"s"}]}]}""", "messages[0].content[0].type")]
    public void WhatChatCompletionsCannotExpress_IsRefused_NamingTheField(string body, string param)
    {
        using var document = JsonDocument.Parse(body);
        using var output = new PooledBufferWriter();

        var error = MessagesToChat.Write(document.RootElement, "m", stream: false, output);

        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal(param, error.Param);
    }

    [Fact]
    public void DisabledThinking_AndCacheControl_Translate()
    {
        using var document = JsonDocument.Parse("""
            {"model":"m","max_tokens":5,"thinking":{"type":"disabled"},
             "system":[{"type":"text","text":"S","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral"}}]}]}
            """);
        using var output = new PooledBufferWriter();

        Assert.Null(MessagesToChat.Write(document.RootElement, "m", stream: false, output));
        Assert.DoesNotContain("cache_control", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void HubAnswer_ToMessagesAndBack_KeepsTextToolCallFinishAndUsage()
    {
        const string completion = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant",
             "content":"Looking.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
             "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":30,"completion_tokens":7,"total_tokens":37,"prompt_tokens_details":{"cached_tokens":10}}}
            """;
        using var message = new PooledBufferWriter();
        ChatToMessages.WriteMessage(Encoding.UTF8.GetBytes(completion), "fallback", message);
        using var m = JsonDocument.Parse(message.WrittenMemory);
        Assert.Equal("msg_chatcmpl-1", m.RootElement.GetProperty("id").GetString());
        Assert.Equal(20, m.RootElement.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal(10, m.RootElement.GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt32());

        using var back = new PooledBufferWriter();
        new AnthropicProvider(null!, TimeProvider.System).WriteCompletion(message.WrittenMemory, "fallback", back);
        using var c = JsonDocument.Parse(back.WrittenMemory);
        var choice = c.RootElement.GetProperty("choices")[0];
        Assert.Equal("Looking.", choice.GetProperty("message").GetProperty("content").GetString());
        var call = choice.GetProperty("message").GetProperty("tool_calls")[0];
        Assert.Equal(("call_1", "get_weather"), (call.GetProperty("id").GetString(), call.GetProperty("function").GetProperty("name").GetString()));
        Assert.Equal("Paris", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(30, c.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(7, c.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task HubStream_ToMessagesEventsAndBack_KeepsTextToolArgumentsAndUsage()
    {
        var (events, translated) = await TranslateAsync(HubChunks(completed: true), completed: true);

        Assert.True(translated.Completed);
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Type));

        // Back through the Anthropic provider's stream translation: the same text, tool call and usage.
        await using var back = new AnthropicEventStream(new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(events.Select(e => e.Raw)))), TimeProvider.System);
        var inspector = new ChunkInspector();
        var text = new StringBuilder();
        var arguments = new StringBuilder();
        string? tool = null;
        while (await back.MoveNextAsync(CancellationToken.None))
        {
            inspector.Inspect(back.Current.Span);
            using var chunk = JsonDocument.Parse(back.Current);
            foreach (var choice in chunk.RootElement.GetProperty("choices").EnumerateArray())
            {
                var delta = choice.GetProperty("delta");
                if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }
                if (delta.TryGetProperty("tool_calls", out var calls))
                {
                    var function = calls[0].GetProperty("function");
                    tool ??= function.TryGetProperty("name", out var name) ? name.GetString() : null;
                    arguments.Append(function.GetProperty("arguments").GetString());
                }
            }
        }
        Assert.True(back.Completed);
        Assert.Equal("Hello world", text.ToString());
        Assert.Equal("get_weather", tool);
        Assert.Equal("""{"city":"Paris"}""", arguments.ToString());
        Assert.Equal(new TokenUsage(12, 5), inspector.Usage);
    }

    [Fact]
    public async Task AHubStreamThatBreaksOff_NeverEndsLikeAWholeMessagesStream()
    {
        var (events, translated) = await TranslateAsync(HubChunks(completed: false), completed: false);

        Assert.False(translated.Completed);
        Assert.False(translated.CurrentIsEnd);
        Assert.DoesNotContain(events, e => e.Type is "message_stop" or "message_delta");
        Assert.Contains(events, e => e.Type == "content_block_delta");
    }

    private static ChatRequest ToChat(JsonElement messages)
    {
        using var output = new PooledBufferWriter();
        Assert.Null(MessagesToChat.Write(messages, "m", stream: false, output));
        var array = BodyArrays.Rent(output.WrittenCount);
        output.WrittenSpan.CopyTo(array);
        Assert.True(ChatRequest.TryParse(array, output.WrittenCount, out var chat, out var error), error?.Message);
        return chat!;
    }

    private static List<string> HubChunks(bool completed)
    {
        const string head = """{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[""";
        List<string> chunks =
        [
            head + """{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""",
            head + """{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}""",
            head + """{"index":0,"delta":{"content":" world"},"finish_reason":null}]}""",
        ];
        if (!completed)
        {
            return chunks;
        }
        chunks.AddRange(
        [
            head + """{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}""",
            head + """{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}""",
            head + """{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}""",
            head + """{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
            """{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}""",
        ]);
        return chunks;
    }

    private static async Task<(List<(string Type, string Raw)> Events, ChatToMessagesEventStream Stream)> TranslateAsync(List<string> chunks, bool completed)
    {
        var hub = new ListEventStream(chunks, completed);
        var translated = new ChatToMessagesEventStream(hub, new ChunkInspector(), "fallback");
        var events = new List<(string, string)>();
        while (await translated.MoveNextAsync(CancellationToken.None))
        {
            using var data = JsonDocument.Parse(translated.Current);
            var raw = Encoding.UTF8.GetString(translated.RawEvent.Span);
            var type = data.RootElement.GetProperty("type").GetString()!;
            Assert.StartsWith($"event: {type}\ndata: ", raw, StringComparison.Ordinal);
            events.Add((type, raw));
        }
        return (events, translated);
    }
}
