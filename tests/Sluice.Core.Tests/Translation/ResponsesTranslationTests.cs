// The Responses types of the official OpenAI client are marked experimental (OPENAI001); these tests read the
// translation's output with them, which is the point.
#pragma warning disable OPENAI001
using System.ClientModel.Primitives;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using OpenAI.Responses;
using Sluice.Proxy;
using Sluice.Translation;
using Sluice.Wire;

namespace Sluice.Core.Tests.Translation;

/// <summary>Responses ⇄ Chat Completions: the request, the whole answer, the stream, and the pass-through body.</summary>
public sealed class ResponsesTranslationTests
{
    private static readonly ResponseIdentity s_identity = new("resp_0123456789abcdef0123456789ab", 1_765_000_000, Stored: false);

    internal static BufferedBody Body(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(rented, 0);
        return BufferedBody.FromPooled(rented, bytes.Length);
    }

    private static ResponsesRequest Parse(string json)
    {
        Assert.True(ResponsesRequest.TryParse(Body(json), out var request, out var error), error?.Message);
        return request!;
    }

    private static (JsonElement? Chat, ApiError? Error) ToChat(string json, params string[] history)
    {
        using var request = Parse(json);
        var prior = history.Select(h => JsonDocument.Parse(h).RootElement).ToList();
        var output = new PooledBufferWriter();
        var error = ResponsesToChat.Write(request, prior, output);
        return error is null ? (JsonDocument.Parse(output.WrittenMemory).RootElement, null) : (null, error);
    }

    [Fact]
    public void Request_IsTranslated_InstructionsPartsToolsFormatAndLimits()
    {
        var (chat, error) = ToChat("""
            {"model":"m","instructions":"Be brief.","max_output_tokens":300,"temperature":0.5,"top_p":0.9,"parallel_tool_calls":false,
             "reasoning":{"effort":"low","summary":"auto"},"metadata":{"k":"v"},"include":["reasoning.encrypted_content"],"store":true,"user":"u-1",
             "input":[
               {"role":"developer","content":"Use metric units."},
               {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather here?"},
                 {"type":"input_image","image_url":"https://example.com/sky.jpg","detail":"low"}]}],
             "tools":[{"type":"function","name":"get_weather","description":"Weather by city","parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}],
             "tool_choice":{"type":"function","name":"get_weather"},
             "text":{"format":{"type":"json_schema","name":"weather","schema":{"type":"object"},"strict":true},"verbosity":"low"}}
            """);
        Assert.Null(error);
        var c = chat!.Value;
        Assert.Equal("m", c.GetProperty("model").GetString());
        var messages = c.GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("Be brief.", messages[0].GetProperty("content").GetString());
        Assert.Equal("developer", messages[1].GetProperty("role").GetString());
        var parts = messages[2].GetProperty("content");
        Assert.Equal("text", parts[0].GetProperty("type").GetString());
        Assert.Equal("Weather here?", parts[0].GetProperty("text").GetString());
        Assert.Equal("image_url", parts[1].GetProperty("type").GetString());
        Assert.Equal("https://example.com/sky.jpg", parts[1].GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal("low", parts[1].GetProperty("image_url").GetProperty("detail").GetString());
        var function = c.GetProperty("tools")[0].GetProperty("function");
        Assert.Equal("get_weather", function.GetProperty("name").GetString());
        Assert.Equal("Weather by city", function.GetProperty("description").GetString());
        Assert.True(function.GetProperty("strict").GetBoolean());
        Assert.Equal("get_weather", c.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
        Assert.False(c.GetProperty("parallel_tool_calls").GetBoolean());
        var format = c.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("weather", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.True(format.GetProperty("json_schema").GetProperty("strict").GetBoolean());
        Assert.Equal("low", c.GetProperty("verbosity").GetString());
        Assert.Equal("low", c.GetProperty("reasoning_effort").GetString());
        Assert.Equal(300, c.GetProperty("max_tokens").GetInt32());
        Assert.Equal(0.5, c.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, c.GetProperty("top_p").GetDouble());
        Assert.Equal("u-1", c.GetProperty("user").GetString());
        // Sluice's own switch and the echoed-only metadata never reach a chat upstream.
        Assert.False(c.TryGetProperty("store", out _));
        Assert.False(c.TryGetProperty("metadata", out _));
    }

    [Fact]
    public void Request_StringInput_IsOneUserMessage_AndStreamIsKept()
    {
        var (chat, _) = ToChat("""{"model":"m","input":"Hello","stream":true}""");
        var messages = chat!.Value.GetProperty("messages");
        Assert.Equal("user", Assert.Single(messages.EnumerateArray()).GetProperty("role").GetString());
        Assert.Equal("Hello", messages[0].GetProperty("content").GetString());
        Assert.True(chat.Value.GetProperty("stream").GetBoolean());
    }

    [Theory]
    [InlineData("""{"model":"m","input":"x","tools":[{"type":"web_search"}]}""", "tools[0]")]
    [InlineData("""{"model":"m","input":"x","tools":[{"type":"file_search","vector_store_ids":["vs_1"]}]}""", "tools[0]")]
    [InlineData("""{"model":"m","input":"x","tool_choice":{"type":"web_search_preview"}}""", "tool_choice")]
    [InlineData("""{"model":"m","input":"x","include":["message.output_text.logprobs"]}""", "include")]
    [InlineData("""{"model":"m","input":"x","truncation":"auto"}""", "truncation")]
    [InlineData("""{"model":"m","input":"x","top_logprobs":3}""", "top_logprobs")]
    [InlineData("""{"model":"m","input":"x","prompt":{"id":"pmpt_1"}}""", "prompt")]
    [InlineData("""{"model":"m","input":"x","some_future_field":1}""", "some_future_field")]
    [InlineData("""{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}""", "input[0]")]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"file_1"}]}]}""", "input[0].content[0]")]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"file_1"}]}]}""", "input[0].content[0]")]
    [InlineData("""{"model":"m","input":[{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"gAAA"}]}""", "input[0]")]
    [InlineData("""{"model":"m","input":[{"type":"computer_call_output","call_id":"c","output":{}}]}""", "input[0]")]
    public void Request_WhatChatCannotExpress_IsA400NamingTheField(string json, string param)
    {
        var (_, error) = ToChat(json);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal("unsupported_parameter", error.Code);
        Assert.Equal(param, error.Param);
    }

    [Theory]
    [InlineData("""{"model":"m","input":"x","background":true}""", "background")]
    [InlineData("""{"model":"m","input":"x","conversation":"conv_1"}""", "conversation")]
    public void Request_ProviderSideState_IsRefusedOnEveryRoute(string json, string param)
    {
        Assert.False(ResponsesRequest.TryParse(Body(json), out _, out var error));
        Assert.Equal(400, error!.Status);
        Assert.Equal(param, error.Param);
    }

    [Theory]
    [InlineData("""{"input":"x"}""", "model")]
    [InlineData("""{"model":"m"}""", "input")]
    [InlineData("""{"model":"m","input":42}""", "input")]
    [InlineData("""{"model":"m","input":"x","max_output_tokens":0}""", "max_output_tokens")]
    [InlineData("""{"model":"m","input":"x","store":"yes"}""", "store")]
    public void Request_Malformed_IsA400(string json, string param)
    {
        Assert.False(ResponsesRequest.TryParse(Body(json), out _, out var error));
        Assert.Equal(400, error!.Status);
        Assert.Equal(param, error.Param);
    }

    /// <summary>A tool-call conversation: the chat answer's tool call becomes a function_call item; the client sends it
    /// back with its output; the next chat request carries the same call as the assistant's tool call and the output
    /// as the tool message answering it.</summary>
    [Fact]
    public void ToolCallConversation_RoundTrips()
    {
        const string firstTurn = """{"model":"m","input":"Weather in Paris?","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}""";
        using var first = Parse(firstTurn);
        var answer = new PooledBufferWriter();
        ChatToResponses.Write("""
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m-upstream","choices":[{"index":0,"message":{"role":"assistant","content":"Let me look.",
             "tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],
             "usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}
            """u8, first.Root, s_identity, answer);

        // The official client reads the translated answer.
        var result = ModelReaderWriter.Read<ResponseResult>(BinaryData.FromBytes(answer.WrittenMemory.ToArray()))!;
        Assert.Equal(s_identity.Id, result.Id);
        Assert.Equal(ResponseStatus.Completed, result.Status);
        Assert.Equal("Let me look.", result.GetOutputText());
        var call = Assert.IsType<FunctionCallResponseItem>(result.OutputItems[1]);
        Assert.Equal("call_abc", call.CallId);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());
        Assert.Equal(20, result.Usage.InputTokenCount);
        Assert.Equal(4, result.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(9, result.Usage.OutputTokenCount);
        Assert.Equal(2, result.Usage.OutputTokenDetails.ReasoningTokenCount);

        // Turn two: the client's input is the first turn's input, the output items, and the function's output.
        using var output = JsonDocument.Parse(answer.WrittenMemory);
        var items = string.Join(",", output.RootElement.GetProperty("output").EnumerateArray().Select(i => i.GetRawText()));
        var (chat, error) = ToChat($$$"""
            {"model":"m","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],
             "input":[{"role":"user","content":"Weather in Paris?"},{{{items}}},{"type":"function_call_output","call_id":"call_abc","output":"18C"}]}
            """);
        Assert.Null(error);
        var messages = chat!.Value.GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        var assistant = messages[1];
        Assert.Equal("assistant", assistant.GetProperty("role").GetString());
        Assert.Equal("Let me look.", assistant.GetProperty("content").GetString());
        var toolCall = Assert.Single(assistant.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("call_abc", toolCall.GetProperty("id").GetString());
        Assert.Equal("get_weather", toolCall.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("""{"city":"Paris"}""", toolCall.GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("tool", messages[2].GetProperty("role").GetString());
        Assert.Equal("call_abc", messages[2].GetProperty("tool_call_id").GetString());
        Assert.Equal("18C", messages[2].GetProperty("content").GetString());
    }

    [Fact]
    public void Request_PreviousResponseChain_ComesBeforeThisTurn()
    {
        var (chat, error) = ToChat("""{"model":"m","input":"And tomorrow?","instructions":"Be brief."}""",
            """{"role":"user","content":"Weather today?"}""",
            """{"id":"msg_1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Sunny.","annotations":[]}]}""");
        Assert.Null(error);
        var messages = chat!.Value.GetProperty("messages");
        Assert.Equal(["system", "user", "assistant", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("Sunny.", messages[2].GetProperty("content").GetString());
        Assert.Equal("And tomorrow?", messages[3].GetProperty("content").GetString());
    }

    [Fact]
    public void Answer_CutByLength_IsIncomplete()
    {
        using var request = Parse("""{"model":"m","input":"x","max_output_tokens":5}""");
        var answer = new PooledBufferWriter();
        ChatToResponses.Write("""{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a b c"},"finish_reason":"length"}]}"""u8,
            request.Root, s_identity, answer);
        var result = ModelReaderWriter.Read<ResponseResult>(BinaryData.FromBytes(answer.WrittenMemory.ToArray()))!;
        Assert.Equal(ResponseStatus.Incomplete, result.Status);
        Assert.Equal(ResponseIncompleteStatusReason.MaxOutputTokens, result.IncompleteStatusDetails.Reason);
        Assert.Equal(5, result.MaxOutputTokenCount);
        Assert.Equal("a b c", result.GetOutputText());
    }

    private static readonly string[] s_chunks =
    [
        """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""",
        """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}""",
        """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo \"you\""},"finish_reason":null}]}""",
        """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}""",
        """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}""",
        """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}""",
        """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}]}""",
        """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
        """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":3}}}""",
    ];

    private static List<SseItem<string>> Events(ReadOnlyMemory<byte> sse) =>
        SseParser.Create(new MemoryStream(sse.ToArray())).Enumerate().ToList();

    [Fact]
    public void Stream_IsTheResponsesEventSequence_ReadByTheOfficialClient()
    {
        using var request = Parse("""{"model":"m","input":"x","stream":true}""");
        using var stream = new ChatToResponsesStream(request.Root, s_identity, "m");
        var output = new PooledBufferWriter();
        stream.Start(output);
        foreach (var chunk in s_chunks)
        {
            Assert.True(stream.Translate(Encoding.UTF8.GetBytes(chunk), output));
        }
        stream.Complete(output);

        var events = Events(output.WrittenMemory);
        Assert.Equal(
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
            "response.function_call_arguments.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
            "response.completed",
        ], events.Select(e => e.EventType));
        for (var i = 0; i < events.Count; i++)
        {
            using var data = JsonDocument.Parse(events[i].Data);
            Assert.Equal(events[i].EventType, data.RootElement.GetProperty("type").GetString());
            Assert.Equal(i, data.RootElement.GetProperty("sequence_number").GetInt32());
        }

        var updates = events.Select(e => ModelReaderWriter.Read<StreamingResponseUpdate>(BinaryData.FromString(e.Data))!).ToList();
        Assert.Equal("Hello \"you\"", Assert.IsType<StreamingResponseOutputTextDoneUpdate>(updates[6]).Text);
        Assert.Equal("""{"city":"Paris"}""", Assert.IsType<StreamingResponseFunctionCallArgumentsDoneUpdate>(updates[12]).FunctionArguments.ToString());
        var completed = Assert.IsType<StreamingResponseCompletedUpdate>(updates[^1]).Response;
        Assert.Equal(s_identity.Id, completed.Id);
        Assert.Equal(ResponseStatus.Completed, completed.Status);
        Assert.Equal("Hello \"you\"", completed.GetOutputText());
        Assert.Equal(3, completed.OutputItems.Count);
        Assert.Equal("call_2", Assert.IsType<FunctionCallResponseItem>(completed.OutputItems[2]).CallId);
        Assert.Equal(11, completed.Usage.InputTokenCount);
        Assert.Equal(3, completed.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(7, completed.Usage.OutputTokenCount);
        // Item ids are stable from added to done to completed.
        Assert.Equal(Assert.IsType<StreamingResponseOutputItemAddedUpdate>(updates[2]).Item.Id, completed.OutputItems[0].Id);
    }

    /// <summary>A stream the upstream breaks off: the translator has written no terminal event, so only the handler's
    /// abort ends it; an in-band error chunk ends it with response.failed and never response.completed.</summary>
    [Fact]
    public void Stream_CutMidWay_HasNoTerminalEvent_AndAnErrorChunkFails()
    {
        using var request = Parse("""{"model":"m","input":"x","stream":true}""");
        using var stream = new ChatToResponsesStream(request.Root, s_identity, "m");
        var output = new PooledBufferWriter();
        stream.Start(output);
        Assert.True(stream.Translate(Encoding.UTF8.GetBytes(s_chunks[1]), output));
        var cut = Events(output.WrittenMemory).Select(e => e.EventType).ToList();
        Assert.DoesNotContain(cut, t => t is "response.completed" or "response.incomplete" or "response.failed");
        Assert.Equal("response.output_text.delta", cut[^1]);

        Assert.False(stream.Translate("""{"error":{"message":"overloaded","type":"server_error"}}"""u8, output));
        stream.Fail(output);
        var events = Events(output.WrittenMemory);
        var failed = Assert.IsType<StreamingResponseFailedUpdate>(ModelReaderWriter.Read<StreamingResponseUpdate>(BinaryData.FromString(events[^1].Data)));
        Assert.Equal(ResponseStatus.Failed, failed.Response.Status);
        Assert.DoesNotContain("overloaded", events[^1].Data);
    }

    [Fact]
    public void Stream_PastTheOutputCap_FailsInsteadOfGrowing()
    {
        using var request = Parse("""{"model":"m","input":"x","stream":true}""");
        using var stream = new ChatToResponsesStream(request.Root, s_identity, "m");
        var piece = new string('a', 1024 * 1024);
        var chunk = Encoding.UTF8.GetBytes($$$"""{"choices":[{"index":0,"delta":{"content":"{{{piece}}}"}}]}""");
        var output = new PooledBufferWriter();
        var translated = 0;
        Assert.Throws<InvalidDataException>((Action)(() =>
        {
            while (true)
            {
                output.Clear();
                stream.Translate(chunk, output);
                translated++;
            }
        }));
        Assert.Equal(ChatToResponsesStream.MaxOutputBytes / piece.Length, translated);
    }

    [Fact]
    public void PassThrough_RewritesModel_ForcesStoreFalse_AndPrefixesTheChain()
    {
        using var request = Parse("""{"model":"public","input":"And tomorrow?","store":true,"previous_response_id":"resp_1","tools":[{"type":"web_search"}],"new_provider_field":{"a":1}}""");
        var output = new PooledBufferWriter();
        ResponsesPassThroughBody.Write(request, "gpt-upstream", [JsonDocument.Parse("""{"role":"user","content":"Weather today?"}""").RootElement], output);
        var sent = JsonDocument.Parse(output.WrittenMemory).RootElement;
        Assert.Equal("gpt-upstream", sent.GetProperty("model").GetString());
        Assert.False(sent.GetProperty("store").GetBoolean());
        Assert.False(sent.TryGetProperty("previous_response_id", out _));
        Assert.Equal(2, sent.GetProperty("input").GetArrayLength());
        Assert.Equal("And tomorrow?", sent.GetProperty("input")[1].GetProperty("content").GetString());
        Assert.Equal("web_search", sent.GetProperty("tools")[0].GetProperty("type").GetString());
        Assert.Equal(1, sent.GetProperty("new_provider_field").GetProperty("a").GetInt32());
        Assert.Single(sent.EnumerateObject(), p => p.Name == "store");
    }

    [Fact]
    public void PassThrough_WithoutStore_StillSendsStoreFalse()
    {
        using var request = Parse("""{"model":"public","input":"Hi"}""");
        var output = new PooledBufferWriter();
        ResponsesPassThroughBody.Write(request, "gpt-upstream", [], output);
        var sent = JsonDocument.Parse(output.WrittenMemory).RootElement;
        Assert.False(sent.GetProperty("store").GetBoolean());
        Assert.Equal("Hi", sent.GetProperty("input").GetString());
    }
}
