using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Responses;
using Sluice.Surfaces;
using Sluice.Translation;
using Sluice.Wire;

namespace Sluice.Benchmarks;

/// <summary>
/// What serving <c>/v1/responses</c> from a chat-only route costs over passing it through to a route that speaks
/// Responses, for the same conversation: the request (pass-through body vs translation to Chat Completions), a whole
/// answer (rewriting the response's id vs translating a chat.completion), and a 50-delta stream (relaying the
/// upstream's Responses events with the lifecycle events rewritten vs turning 50 chat chunks into the Responses
/// event sequence). Each category's baseline is the pass-through, so the ratio is the translation's price.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ResponsesTranslationBenchmarks
{
    private static readonly byte[] s_request = Encoding.UTF8.GetBytes("""
        {"model":"gpt-4o-mini","instructions":"You are a concise assistant.","max_output_tokens":256,"temperature":0.7,
         "input":[{"role":"user","content":[{"type":"input_text","text":"Explain in three sentences why a gateway should stream bytes instead of buffering whole responses."}]}],
         "tools":[{"type":"function","name":"get_weather","description":"Weather by city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
         "metadata":{"app":"bench"}}
        """);

    private static readonly string s_text = "A gateway that streams bytes keeps memory flat however long the answer runs, because it never holds a whole body. It also gets the first token to the user sooner, since nothing waits for the end of the response. And a client that hangs up stops the upstream call at once instead of after a buffer fills.";

    internal static readonly byte[] ResponseJson = Encoding.UTF8.GetBytes($$$"""
        {"id":"resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b","object":"response","created_at":1741476542,"status":"completed","background":false,"error":null,"incomplete_details":null,"instructions":"You are a concise assistant.","max_output_tokens":256,"model":"gpt-4o-mini-2024-07-18",
         "output":[{"type":"message","id":"msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b","status":"completed","role":"assistant","content":[{"type":"output_text","text":"{{{s_text}}}","annotations":[],"logprobs":[]}]}],
         "parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":0.7,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled",
         "usage":{"input_tokens":41,"input_tokens_details":{"cached_tokens":0},"output_tokens":67,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":108},"user":null,"metadata":{}}
        """);

    private static readonly byte[] s_responsesStream = BuildStream();

    private readonly ReplayStream _responses = new(s_responsesStream);
    private readonly ReplayStream _chat = new(SampleTraffic.Stream);
    private readonly PooledBufferWriter _output = new(16 * 1024);
    private readonly ResponseIdentity _identity = new("resp_0123456789abcdef0123456789ab", 1_765_000_000, Stored: false);
    private ResponsesRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rented = ArrayPool<byte>.Shared.Rent(s_request.Length);
        s_request.CopyTo(rented, 0);
        if (!ResponsesRequest.TryParse(BufferedBody.FromPooled(rented, s_request.Length), out var request, out _))
        {
            throw new InvalidOperationException("The sample request does not validate.");
        }
        _request = request!;
        // Measure paths that work: both streams end complete with the upstream's usage.
        if (StreamPassThrough().GetAwaiter().GetResult() is not { PromptTokens: 41, CompletionTokens: 50 } passed
            || StreamTranslated().GetAwaiter().GetResult() != passed)
        {
            throw new InvalidOperationException("The streams disagree on usage.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _request.Dispose();
        _output.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Pass-through: rewrite the Responses body (model, store:false)")]
    [BenchmarkCategory("request")]
    public int RequestPassThrough()
    {
        _output.Clear();
        ResponsesPassThroughBody.Write(_request, "gpt-4o-mini-2024-07-18", [], _output);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "Translated: Responses request → chat request")]
    [BenchmarkCategory("request")]
    public int RequestTranslated()
    {
        _output.Clear();
        if (ResponsesToChat.Write(_request, [], _output) is not null)
        {
            throw new InvalidOperationException("The sample request does not translate.");
        }
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true, Description = "Pass-through: response with Sluice's id")]
    [BenchmarkCategory("answer")]
    public int AnswerPassThrough()
    {
        _output.Clear();
        using var document = JsonDocument.Parse(ResponseJson);
        using (var w = new Utf8JsonWriter(_output))
        {
            ResponsesPassThroughAnswer.WriteOwnResponse(w, document.RootElement, _request, _identity);
        }
        return _output.WrittenCount;
    }

    [Benchmark(Description = "Translated: chat.completion → response")]
    [BenchmarkCategory("answer")]
    public int AnswerTranslated()
    {
        _output.Clear();
        ChatToResponses.Write(SampleTraffic.Completion, _request.Root, _identity, _output);
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true, Description = "Pass-through: 50-delta Responses stream, rewrite + usage")]
    [BenchmarkCategory("stream")]
    public async Task<Sluice.Usage.TokenUsage?> StreamPassThrough()
    {
        var meter = new ResponsesMeter();
        await using var events = new ResponsesEventStream(_responses.Rewind(), _request, _identity, meter);
        while (await events.MoveNextAsync(default))
        {
            if (meter.Inspect(events.Current.Span) == AnswerEvent.End)
            {
                break;
            }
        }
        return meter.Usage;
    }

    [Benchmark(Description = "Translated: 50 chat chunks → Responses events + usage")]
    [BenchmarkCategory("stream")]
    public async Task<Sluice.Usage.TokenUsage?> StreamTranslated()
    {
        using var meter = new ChatAnswerMeter();
        await using var events = new TranslatedResponsesStream(new SseEventStream(_chat.Rewind()), meter,
            new ChatToResponsesStream(_request.Root, _identity, _request.Model));
        while (await events.MoveNextAsync(default))
        {
        }
        return meter.Usage;
    }

    /// <summary>The same answer as <see cref="SampleTraffic.Stream"/>, as the Responses API streams it.</summary>
    internal static byte[] BuildStream()
    {
        var words = "A gateway that streams bytes keeps memory flat however long the answer runs because it never holds a whole body".Split(' ');
        var sb = new StringBuilder();
        var sequence = 0;
        // data is a JSON object; the event's type and sequence number are written first, as the API does.
        void Event(string type, string data) =>
            sb.Append("event: ").Append(type).Append("\ndata: {\"type\":\"").Append(type).Append("\",\"sequence_number\":").Append(sequence++)
                .Append(',').Append(data.AsSpan(1)).Append("\n\n");
        const string Response = "\"id\":\"resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b\",\"object\":\"response\",\"created_at\":1741476542,\"model\":\"gpt-4o-mini-2024-07-18\",\"store\":false,\"previous_response_id\":null";
        Event("response.created", "{\"response\":{" + Response + ",\"status\":\"in_progress\",\"output\":[],\"usage\":null}}");
        Event("response.in_progress", "{\"response\":{" + Response + ",\"status\":\"in_progress\",\"output\":[],\"usage\":null}}");
        Event("response.output_item.added", """{"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}""");
        Event("response.content_part.added", """{"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}""");
        var text = new StringBuilder();
        for (var i = 0; i < SampleTraffic.StreamChunks; i++)
        {
            var word = " " + words[i % words.Length];
            text.Append(word);
            Event("response.output_text.delta", $$"""{"item_id":"msg_1","output_index":0,"content_index":0,"delta":"{{word}}","logprobs":[]}""");
        }
        Event("response.output_text.done", $$"""{"item_id":"msg_1","output_index":0,"content_index":0,"text":"{{text}}","logprobs":[]}""");
        var part = $$"""{"type":"output_text","annotations":[],"logprobs":[],"text":"{{text}}"}""";
        Event("response.content_part.done", """{"item_id":"msg_1","output_index":0,"content_index":0,"part":""" + part + "}");
        var item = """{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[""" + part + "]}";
        Event("response.output_item.done", """{"output_index":0,"item":""" + item + "}");
        Event("response.completed", "{\"response\":{" + Response + ",\"status\":\"completed\",\"output\":[" + item
            + "],\"usage\":{\"input_tokens\":41,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":50,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":91}}}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
