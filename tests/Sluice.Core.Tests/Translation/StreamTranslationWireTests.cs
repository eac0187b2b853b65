using System.Runtime.CompilerServices;
using System.Text;
using Sluice.Providers;
using Sluice.Translation;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Core.Tests.Translation;

/// <summary>
/// The exact bytes the stream translations write (Chat Completions chunks → Responses events, → Messages events) for
/// chunks that take every path of the chunk reader: escaped and non-ASCII text, a long escaped delta, tool calls (two in
/// one chunk, a piece that is not an object, escaped arguments), a refusal, the usage chunk, an in-band error, a
/// <c>length</c> finish, and fields the reader must step over (unknown objects holding <c>content</c> keys, a second
/// choice, nulls). The expected bytes are what the translations wrote when each chunk was parsed into a
/// <see cref="System.Text.Json.JsonDocument"/>: reading chunks faster must not change a byte the client receives.
/// </summary>
public sealed class StreamTranslationWireTests
{
    private static readonly ResponseIdentity s_identity = new("resp_0123456789abcdef0123456789ab", 1_765_000_000, Stored: false);

    private const string Head = """{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[""";
    private const string Usage = """{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":1}}}""";

    private static string Delta(string delta, string finish = "null") => Head + $$"""{"index":0,"delta":{{delta}},"logprobs":null,"finish_reason":{{finish}}}]}""";

    /// <summary>Each case's chunks, and whether the hub stream ends whole ([DONE]).</summary>
    public static readonly Dictionary<string, (string[] Chunks, bool Completed)> Cases = new()
    {
        ["escapes"] = (
        [
            Delta("""{"role":"assistant","content":""}"""),
            Delta("""{"content":"Say \"hi\"\\ \n\t\u0041\u00e9 caf\u00E9 é — 😀 \ud83d\ude00 <b>&amp;</b> '\/'"}"""),
            Delta("""{"content":"plain ascii"}"""),
            Delta("{\"content\":\"" + string.Concat(Enumerable.Repeat("long \\\"quoted\\\" text ", 40)) + "\"}"),
            Delta("{}", "\"stop\""),
            Usage,
        ], true),
        ["tools"] = (
        [
            Delta("""{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}"""),
            Delta("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Par"}}]}"""),
            Delta("""{"tool_calls":[{"function":{"arguments":"is \\\"FR\\\" é\"}"}}]}"""),
            Delta("""{"tool_calls":[7,{"index":1,"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}},{"index":2,"id":"call_3","type":"function","function":{"name":"n\u00e9","arguments":"{\"a\":1}"}}]}"""),
            Delta("{}", "\"tool_calls\""),
            Usage,
        ], true),
        ["refusal"] = (
        [
            Delta("""{"role":"assistant","content":"I "}"""),
            Delta("""{"refusal":"can\u0027t \"help\""}"""),
            Delta("""{"refusal":" with that."}"""),
            Delta("""{"content":"Sorry."}"""),
            Delta("{}", "\"content_filter\""),
            Usage,
        ], true),
        ["length"] = (
        [
            Delta("""{"role":"assistant","content":"Once upon"}"""),
            Delta("""{"content":" a time"}""", "\"length\""),
            Usage,
        ], true),
        ["extras"] = (
        [
            """{"x_first":{"content":"NOT 1","choices":[{"delta":{"content":"NOT 2"}}]},"id":"chatcmpl-extra","object":"chat.completion.chunk","created":1,"model":"gpt-\u0078","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"A","audio":{"content":"NOT 3"},"function_call":null,"x_list":[{"content":"NOT 4"},[],[[{}]]]},"logprobs":{"content":[{"token":"A","bytes":[65],"top_logprobs":[]}]},"x_choice":{"finish_reason":"length"},"finish_reason":null},{"index":1,"delta":{"content":"NOT 5"},"finish_reason":"stop"}],"usage":null,"x_last":[1,2.5e3,true,false,null,"s"]}""",
            Delta("""{"content":null,"refusal":null,"tool_calls":null}"""),
            Delta("""{"content":""}"""),
            Delta("""{"content":"B"}""", "null"),
            Head + """{"index":0,"delta":"not an object","finish_reason":null}]}""",
            """{"choices":{"index":0,"delta":{"content":"NOT 6"}}}""",
            Delta("{}", "\"stop\""),
            Usage,
        ], true),
        ["error"] = (
        [
            Delta("""{"role":"assistant","content":"Par"}"""),
            """{"error":{"message":"overloaded: the prompt said secret","type":"server_error","code":"overloaded"}}""",
            Delta("""{"content":"NOT AFTER THE ERROR"}"""),
        ], true),
        ["cut"] = (
        [
            Delta("""{"role":"assistant","content":"Half an ans"}"""),
        ], false),
    };

    /// <summary>The Responses events written for a case, framed as the client receives them.</summary>
    internal static string Responses(string name)
    {
        var (chunks, completed) = Cases[name];
        using var request = ResponsesRequest.TryParse(ResponsesTranslationTests.Body("""{"model":"m","input":"x","stream":true,"instructions":"Be \"brief\".","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],"metadata":{"k":"v"}}"""), out var parsed, out _)
            ? parsed! : throw new InvalidOperationException();
        using var stream = new ChatToResponsesStream(request.Root, s_identity, "m");
        using var output = new PooledBufferWriter();
        stream.Start(output);
        foreach (var chunk in chunks)
        {
            if (!stream.Translate(Encoding.UTF8.GetBytes(chunk), output))
            {
                stream.Fail(output);
                return Encoding.UTF8.GetString(output.WrittenSpan);
            }
        }
        if (completed)
        {
            stream.Complete(output);
        }
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>The Messages events written for a case, framed as the client receives them.</summary>
    internal static async Task<string> Messages(string name)
    {
        var (chunks, completed) = Cases[name];
        var text = new StringBuilder();
        await using var stream = new ChatToMessagesEventStream(new ListEventStream(chunks, completed), new ChunkInspector(), "fallback");
        while (await stream.MoveNextAsync(CancellationToken.None))
        {
            text.Append(Encoding.UTF8.GetString(stream.RawEvent.Span));
        }
        return text.ToString();
    }

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ResponsesStream_WritesTheSameBytes(string name) => Assert.Equal(Golden($"responses-{name}"), Responses(name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task MessagesStream_WritesTheSameBytes(string name) => Assert.Equal(Golden($"messages-{name}"), await Messages(name));

    /// <summary>A chunk that is not one JSON object fails the stream as broken (the relay then aborts the client's
    /// connection), in both translations, before any of it is translated; trailing text after the object included.</summary>
    [Theory]
    [InlineData("""{"choices":[{"index":0,"delta":{"content":"Hel""")]
    [InlineData("""{"choices":[{"index":0,"delta":{"content":"Hello"}}]} trailing""")]
    [InlineData("""{"choices":[{"index":0,"delta":{"content":"Hello"}}]}{}""")]
    [InlineData("""[{"choices":[]}]""")]
    [InlineData("\"text\"")]
    [InlineData("")]
    public async Task AChunkThatIsNotOneJsonObject_BreaksTheStream_WithNothingOfItWritten(string chunk)
    {
        using var request = ResponsesRequest.TryParse(ResponsesTranslationTests.Body("""{"model":"m","input":"x","stream":true}"""), out var parsed, out _)
            ? parsed! : throw new InvalidOperationException();
        using var responses = new ChatToResponsesStream(request.Root, s_identity, "m");
        using var output = new PooledBufferWriter();
        Assert.Throws<InvalidDataException>(() => responses.Translate(Encoding.UTF8.GetBytes(chunk), output));
        Assert.Equal(0, output.WrittenCount);

        await using var messages = new ChatToMessagesEventStream(new ListEventStream([chunk], completed: true), new ChunkInspector(), "fallback");
        await Assert.ThrowsAsync<InvalidDataException>(async () => await messages.MoveNextAsync(CancellationToken.None));
    }

    /// <summary>A string escape that is JSON but not text (a lone surrogate) cannot be written as UTF-8: both
    /// translations break the stream the way a chunk that is not JSON does (the flow records a 502 row), in text, tool
    /// arguments and tool names alike, never with an exception the flow does not expect.</summary>
    [Theory]
    [InlineData("""{"choices":[{"index":0,"delta":{"content":"a\ud800b"}}]}""")]
    [InlineData("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"\udc00"}}]}}]}""")]
    [InlineData("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"\ud800","arguments":"{}"}}]}}]}""")]
    public async Task AStringThatIsNotText_BreaksTheStream(string chunk)
    {
        using var request = ResponsesRequest.TryParse(ResponsesTranslationTests.Body("""{"model":"m","input":"x","stream":true}"""), out var parsed, out _)
            ? parsed! : throw new InvalidOperationException();
        using var responses = new ChatToResponsesStream(request.Root, s_identity, "m");
        using var output = new PooledBufferWriter();
        Assert.Throws<InvalidDataException>(() => responses.Translate(Encoding.UTF8.GetBytes(chunk), output, new ChunkInspector()));

        await using var messages = new ChatToMessagesEventStream(new ListEventStream([chunk], completed: true), new ChunkInspector(), "fallback");
        await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            while (await messages.MoveNextAsync(CancellationToken.None))
            {
            }
        });
    }

    /// <summary>A first choice that is not an object carries nothing; the chunks around it translate as usual.</summary>
    [Fact]
    public async Task AChoiceThatIsNotAnObject_IsSkipped()
    {
        string[] chunks = [Delta("""{"content":"A"}"""), Head + "\"not a choice\",{\"index\":1,\"delta\":{\"content\":\"NOT\"}}]}", Delta("""{"content":"B"}""")];
        using var request = ResponsesRequest.TryParse(ResponsesTranslationTests.Body("""{"model":"m","input":"x","stream":true}"""), out var parsed, out _)
            ? parsed! : throw new InvalidOperationException();
        using var responses = new ChatToResponsesStream(request.Root, s_identity, "m");
        using var output = new PooledBufferWriter();
        responses.Start(output);
        foreach (var chunk in chunks)
        {
            Assert.True(responses.Translate(Encoding.UTF8.GetBytes(chunk), output));
        }
        responses.Complete(output);
        var written = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Contains("\"text\":\"AB\"", written);
        Assert.DoesNotContain("NOT", written);

        var text = new StringBuilder();
        await using var messages = new ChatToMessagesEventStream(new ListEventStream(chunks, completed: true), new ChunkInspector(), "fallback");
        while (await messages.MoveNextAsync(CancellationToken.None))
        {
            text.Append(Encoding.UTF8.GetString(messages.RawEvent.Span));
        }
        Assert.Equal(2, text.ToString().Split("\"type\":\"text_delta\"").Length - 1);
        Assert.DoesNotContain("NOT", text.ToString());
    }

    /// <summary>The expected bytes, kept beside this file (StreamGolden/): written by the translations as first built.</summary>
    private static string Golden(string name, [CallerFilePath] string here = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "StreamGolden", name + ".txt"));
}
