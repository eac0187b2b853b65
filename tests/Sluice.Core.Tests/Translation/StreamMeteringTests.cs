using System.Text;
using Sluice.Translation;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Core.Tests.Translation;

/// <summary>
/// The translated streams read each chat chunk once, for the client's events and for the usage row. The meter must end
/// in the state <see cref="ChunkInspector.Inspect"/> leaves when it reads every chunk the translation took itself (the
/// usage row before the single read): the upstream's usage, the in-band failure code, the content-chunk counts and the
/// UTF-8 sample the estimate is taken from, byte for byte, for every chunk shape, whether the single pass kept what the
/// meter needs or the meter read the chunk again.
/// </summary>
public sealed class StreamMeteringTests
{
    private const string Head = """{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[""";

    private static string Delta(string delta) => Head + $$"""{"index":0,"delta":{{delta}},"finish_reason":null}]}""";

    /// <summary>Chunks shaped past what the translation keeps: the meter samples every string under <c>content</c>,
    /// <c>refusal</c>, <c>reasoning_content</c> or <c>arguments</c> in any choice's <c>delta</c> or <c>message</c>.</summary>
    private static readonly Dictionary<string, (string[] Chunks, bool Completed)> s_meterCases = new()
    {
        ["reasoning"] = (
        [
            Delta("""{"role":"assistant","reasoning_content":"think \u00e9 "}"""),
            Delta("""{"content":"","reasoning_content":"more"}"""),
            Delta("""{"reasoning_content":"second ","content":"first?"}"""),
            Delta("""{"content":"a","refusal":"b"}"""),
            Delta("""{"content":"","tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{\"x\":1}"}}]}"""),
        ], false),
        ["shapes"] = (
        [
            Head + """{"index":0,"message":{"content":"M"}}]}""",
            Head + """{"index":0,"delta":{"content":"A"}},{"index":1,"delta":{"content":"B"}}]}""",
            Head + """{"index":0,"delta":{"content":"C"},"delta":{"content":"D"}}]}""",
            Head + """{"index":0,"delta":{"content":"C2"},"delta":null}]}""",
            Delta("""{"content":"E","content":"F"}"""),
            Delta("""{"content":"E2","content":7}"""),
            Delta("""{"audio":{"content":"G"},"x":[{"arguments":"G2"}]}"""),
            Delta("""{"content":{"content":"H"}}"""),
            Head + """{"index":0,"delta":[{"content":"I"}]}]}""",
            Delta("""{"arguments":"J"}"""),
            Delta("""{"content":"K","tool_calls":[{"index":0,"function":{"arguments":"L"}}]}"""),
            Delta("""{"tool_calls":{"function":{"arguments":"M2"}}}"""),
            Delta("""{"tool_calls":[{"index":0,"arguments":"N","function":{"content":"O","arguments":"P"}}]}"""),
            Delta("""{"content":7,"refusal":null,"reasoning_content":true}"""),
            Head + "\"not a choice\",{\"index\":1,\"delta\":{\"content\":\"Q\"}}]}",
            """{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1},"usage":{"prompt_tokens":3}}""",
        ], true),
        ["usage-then-empty-usage"] = (
        [
            Delta("""{"content":"R"}"""),
            """{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}""",
            """{"choices":[],"usage":{"total_tokens":6}}""",
        ], true),
        ["error-type"] = ([Delta("""{"content":"S"}"""), """{"error":{"message":"m","type":"server_error","code":null}}"""], true),
        ["error-long-code"] = (["{\"error\":{\"code\":\"" + new string('c', 65) + "\",\"type\":\"t\"}}"], true),
        ["error-twice"] = ([Delta("""{"content":"T"}""") , """{"error":{"code":"first"},"error":{"code":"second"}}"""], true),
        ["error-not-object"] = ([Delta("""{"content":"U"}"""), """{"error":"x","choices":[]}""", Delta("""{"content":"V"}""")], true),
        ["broken-after-error"] = ([Delta("""{"content":"W"}"""), """{"error":{"code":"late"},"choices":["""], true),
        ["broken-after-usage"] = ([Delta("""{"content":"X"}"""), """{"usage":{"prompt_tokens":4,"completion_tokens":2},"choices":[{"delta":{"content":"Hel"""], true),
    };

    private static (string[] Chunks, bool Completed) Case(string name) =>
        s_meterCases.TryGetValue(name, out var c) ? c : StreamTranslationWireTests.Cases[name];

    /// <summary>Every case, with the default sample limit and one a few bytes long (the limit is checked per string
    /// and per chunk).</summary>
    public static TheoryData<string, int> AllCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in StreamTranslationWireTests.Cases.Keys.Concat(s_meterCases.Keys))
        {
            data.Add(name, 16 * 1024);
            data.Add(name, 7);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public async Task MessagesStream_MetersAsReadingEachChunkAgainDid(string name, int sampleLimit)
    {
        var (chunks, completed) = Case(name);
        var meter = new ChunkInspector(sampleLimit);
        var hub = new ListEventStream(chunks, completed);
        await using (var stream = new ChatToMessagesEventStream(hub, meter, "fallback"))
        {
            try
            {
                while (await stream.MoveNextAsync(CancellationToken.None))
                {
                }
            }
            catch (InvalidDataException)
            {
                // A broken chunk breaks the stream; the meter keeps what it read, as before.
            }
        }
        Assert.Equal(Reference(chunks.Take(hub.Delivered), sampleLimit), State(meter));
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void ResponsesStream_MetersAsReadingEachChunkAgainDid(string name, int sampleLimit)
    {
        var (chunks, _) = Case(name);
        var meter = new ChunkInspector(sampleLimit);
        var taken = 0;
        using (var request = ResponsesRequest.TryParse(ResponsesTranslationTests.Body("""{"model":"m","input":"x","stream":true}"""), out var parsed, out _)
            ? parsed! : throw new InvalidOperationException())
        using (var stream = new ChatToResponsesStream(request.Root, new ResponseIdentity("resp_0123456789abcdef0123456789ab", 1, Stored: false), "m"))
        using (var output = new PooledBufferWriter())
        {
            stream.Start(output);
            try
            {
                foreach (var chunk in chunks)
                {
                    taken++;
                    if (!stream.Translate(Encoding.UTF8.GetBytes(chunk), output, meter))
                    {
                        break;
                    }
                }
            }
            catch (InvalidDataException)
            {
            }
        }
        Assert.Equal(Reference(chunks.Take(taken), sampleLimit), State(meter));
    }

    /// <summary>A stream cut off before its usage chunk is estimated from the same sample as before; the estimate
    /// counts the text of every content chunk, empty first delta included.</summary>
    [Fact]
    public async Task ACutOffTranslatedStream_IsEstimatedAsBefore()
    {
        string[] chunks =
        [
            Delta("""{"role":"assistant","content":""}"""),
            Delta("""{"content":"The quick brown fox "}"""),
            Delta("""{"content":"jumps over the lazy dog, caf\u00e9 \"quoted\"."}"""),
        ];
        var meter = new ChunkInspector();
        await using (var stream = new ChatToMessagesEventStream(new ListEventStream(chunks, completed: false), meter, "fallback"))
        {
            while (await stream.MoveNextAsync(CancellationToken.None))
            {
            }
        }
        Assert.Null(meter.Usage);
        Assert.Equal("The quick brown fox jumps over the lazy dog, café \"quoted\".", meter.Sample);
        Assert.Equal(3, meter.ContentChunks);
        var estimator = new TokenEstimator();
        var before = Reference(chunks, 16 * 1024);
        var reference = new ChunkInspector();
        foreach (var chunk in chunks)
        {
            reference.Inspect(Encoding.UTF8.GetBytes(chunk));
        }
        Assert.Equal(before, State(meter));
        Assert.Equal(estimator.CountCompletion(reference), estimator.CountCompletion(meter));
        Assert.True(estimator.CountCompletion(meter) > 5);
    }

    /// <summary>A stream that ends with the upstream's usage records its figures, details included.</summary>
    [Fact]
    public async Task ATranslatedStreamWithUsage_RecordsTheUpstreamFigures()
    {
        var (chunks, completed) = StreamTranslationWireTests.Cases["escapes"];
        var meter = new ChunkInspector();
        await using (var stream = new ChatToMessagesEventStream(new ListEventStream(chunks, completed), meter, "fallback"))
        {
            while (await stream.MoveNextAsync(CancellationToken.None))
            {
            }
        }
        Assert.Equal(new TokenUsage(12, 5) { CachedTokens = 2, ReasoningTokens = 1 }, meter.Usage);
        Assert.Null(meter.Failure);
    }

    private static MeterState Reference(IEnumerable<string> chunks, int sampleLimit)
    {
        var reference = new ChunkInspector(sampleLimit);
        foreach (var chunk in chunks)
        {
            reference.Inspect(Encoding.UTF8.GetBytes(chunk));
        }
        return State(reference);
    }

    private static MeterState State(ChunkInspector meter) =>
        new(meter.Usage, meter.Failure, meter.ContentChunks, meter.SampledChunks, meter.Sample);

    private sealed record MeterState(TokenUsage? Usage, string? Failure, int ContentChunks, int SampledChunks, string Sample);
}
