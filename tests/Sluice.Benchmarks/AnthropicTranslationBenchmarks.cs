using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Sluice.Providers;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Benchmarks;

/// <summary>
/// What translating to and from Anthropic's Messages API costs over passing OpenAI's format through, for the same
/// conversation: the request rewrite, a whole answer, and a 50-delta stream. Each category's baseline is the work
/// Sluice does for an OpenAI upstream, so the ratio is the translation's price.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AnthropicTranslationBenchmarks
{
    internal static readonly byte[] Message = Encoding.UTF8.GetBytes("""
        {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",
         "content":[{"type":"text","text":"A gateway that streams bytes keeps memory flat however long the answer runs, because it never holds a whole body. It also gets the first token to the user sooner, since nothing waits for the end of the response. And a client that hangs up stops the upstream call at once instead of after a buffer fills."}],
         "stop_reason":"end_turn","stop_sequence":null,
         "usage":{"input_tokens":41,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":67}}
        """);

    private static readonly byte[] s_stream = BuildStream();

    private readonly ReplayStream _openAIStream = new(SampleTraffic.Stream);
    private readonly ReplayStream _anthropicStream = new(s_stream);
    private readonly AnthropicProvider _provider = new(null!, TimeProvider.System);
    private readonly PooledBufferWriter _output = new(8 * 1024);
    private ChatRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rented = ArrayPool<byte>.Shared.Rent(SampleTraffic.Request.Length);
        SampleTraffic.Request.CopyTo(rented, 0);
        if (!ChatRequest.TryParse(rented, SampleTraffic.Request.Length, out var request, out _))
        {
            throw new InvalidOperationException("The sample request does not validate.");
        }
        _request = request!;
        // Measure a translation that works: both streams must yield the same usage.
        var (openAI, anthropic) = (StreamOpenAI().GetAwaiter().GetResult(), StreamAnthropic().GetAwaiter().GetResult());
        if (anthropic is not { PromptTokens: 41, CompletionTokens: 50 } || openAI != anthropic)
        {
            throw new InvalidOperationException($"The streams disagree on usage: {openAI} vs {anthropic}.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _request.Dispose();
        _output.Dispose();
    }

    [Benchmark(Baseline = true, Description = "OpenAI: rewrite the request body")]
    [BenchmarkCategory("request")]
    public int RequestOpenAI()
    {
        using var body = OpenAIRequestBody.Write(_request, "gpt-4o-mini-2024-07-18");
        return body.WrittenCount;
    }

    [Benchmark(Description = "Anthropic: translate the request to Messages")]
    [BenchmarkCategory("request")]
    public int RequestAnthropic()
    {
        _output.Clear();
        if (AnthropicRequestBody.Write(_request, "claude-3-5-haiku-20241022", AnthropicProvider.DefaultMaxTokens, _output) is not null)
        {
            throw new InvalidOperationException("The sample request does not translate.");
        }
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true, Description = "OpenAI: scan a completion for usage")]
    [BenchmarkCategory("answer")]
    public TokenUsage? AnswerOpenAI()
    {
        using var scanner = new JsonUsageScanner();
        scanner.Append(SampleTraffic.Completion);
        return scanner.Usage;
    }

    [Benchmark(Description = "Anthropic: message → chat.completion")]
    [BenchmarkCategory("answer")]
    public int AnswerAnthropic()
    {
        _output.Clear();
        _provider.WriteCompletion(Message, "claude-3-5-haiku-20241022", _output);
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true, Description = "OpenAI: 50-chunk stream, parse + usage")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> StreamOpenAI() => SampleTraffic.InspectAllAsync(new SseEventStream(_openAIStream.Rewind()));

    [Benchmark(Description = "Anthropic: 50-delta stream → OpenAI chunks + usage")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> StreamAnthropic() =>
        SampleTraffic.InspectAllAsync(new AnthropicEventStream(_anthropicStream.Rewind(), TimeProvider.System));

    /// <summary>The same answer as <see cref="SampleTraffic.Stream"/>, as Anthropic streams it.</summary>
    internal static byte[] BuildStream()
    {
        var words = "A gateway that streams bytes keeps memory flat however long the answer runs because it never holds a whole body".Split(' ');
        var sb = new StringBuilder();
        void Event(string type, string data) => sb.Append("event: ").Append(type).Append("\ndata: ").Append(data).Append("\n\n");
        Event("message_start", """{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-3-5-haiku-20241022","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":41,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}""");
        Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""");
        Event("ping", """{"type": "ping"}""");
        for (var i = 0; i < SampleTraffic.StreamChunks; i++)
        {
            Event("content_block_delta", $$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" {{{words[i % words.Length]}}}"}}""");
        }
        Event("content_block_stop", """{"type":"content_block_stop","index":0}""");
        Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":50}}""");
        Event("message_stop", """{"type":"message_stop"}""");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
