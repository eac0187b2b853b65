using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Surfaces;
using Sluice.Translation;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Benchmarks;

/// <summary>
/// What <c>/v1/messages</c> costs on a translated route over a pass-through one, in the same run: the request (passed
/// through with only the model rewritten, against translated to Chat Completions and validated as the hub's), the
/// whole answer relayed with its usage read (an Anthropic message copied as it is, against a chat.completion rewritten
/// as a message), and the whole relay of the same 50-delta answer to a response body with its usage read (an Anthropic
/// stream copied event by event, against a Chat Completions stream rewritten into Messages events). Pass-through is
/// each category's baseline.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class MessagesSurfaceBenchmarks
{
    private static readonly TimeSpan s_heartbeat = TimeSpan.FromSeconds(30);

    private static readonly byte[] s_request = Encoding.UTF8.GetBytes("""
        {"model":"claude-3-5-haiku","max_tokens":1024,"system":"You are a concise assistant for a gateway's operators.",
         "messages":[{"role":"user","content":"Why does a streaming gateway keep memory flat?"},
                     {"role":"assistant","content":[{"type":"text","text":"Because it never holds a whole body."}]},
                     {"role":"user","content":[{"type":"text","text":"And why does the first token arrive sooner?"}]}],
         "temperature":0.2,"stop_sequences":["END"]}
        """);

    private readonly ReplayStream _anthropicStream = new(AnthropicTranslationBenchmarks.BuildStream());
    private readonly ReplayStream _chatStream = new(SampleTraffic.Stream);
    private JsonDocument _document = null!;

    [GlobalSetup]
    public void Setup()
    {
        _document = JsonDocument.Parse(s_request);
        // Measure relays that work: both must read the same usage.
        var (passed, translated) = (RelayPassThrough().GetAwaiter().GetResult(), RelayTranslated().GetAwaiter().GetResult());
        if (passed is not { PromptTokens: 41, CompletionTokens: 50 } || translated is not { CompletionTokens: 50 })
        {
            throw new InvalidOperationException($"The relays disagree on usage: {passed} vs {translated}.");
        }
        if (AnswerPassThrough().GetAwaiter().GetResult() is not { PromptTokens: 41, CompletionTokens: 67 } whole
            || AnswerTranslated().GetAwaiter().GetResult() != whole)
        {
            throw new InvalidOperationException("The answers disagree on usage.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _document.Dispose();

    [Benchmark(Baseline = true, Description = "pass-through: rewrite the model")]
    [BenchmarkCategory("request")]
    public int RequestPassThrough()
    {
        using var body = PassThrough.WriteBody(_document.RootElement, s_request.Length, "claude-3-5-haiku-20241022");
        return body.WrittenCount;
    }

    [Benchmark(Description = "translated: Messages → Chat Completions, validated")]
    [BenchmarkCategory("request")]
    public int RequestTranslated()
    {
        using var output = new PooledBufferWriter(s_request.Length + 256);
        if (MessagesToChat.Write(_document.RootElement, "claude-3-5-haiku", stream: true, output) is not null)
        {
            throw new InvalidOperationException("The sample request does not translate.");
        }
        var array = System.Buffers.ArrayPool<byte>.Shared.Rent(output.WrittenCount);
        output.WrittenSpan.CopyTo(array);
        if (!ChatRequest.TryParse(array, output.WrittenCount, out var chat, out _))
        {
            throw new InvalidOperationException("The translated request does not validate.");
        }
        using (chat)
        {
            return chat!.Body.Length;
        }
    }

    [Benchmark(Baseline = true, Description = "pass-through: Anthropic message relayed, usage read")]
    [BenchmarkCategory("answer")]
    public async Task<TokenUsage?> AnswerPassThrough()
    {
        using var meter = new AnthropicAnswerMeter();
        await using var upstream = UpstreamResponse.ForJson(new MemoryStream(AnthropicTranslationBenchmarks.Message, writable: false),
            AnthropicTranslationBenchmarks.Message.Length);
        await ResponseRelay.RelayJsonAsync(StreamBenchmarks.NullResponse(), upstream, meter, observe: null, beforeEnd: null, CancellationToken.None);
        return meter.Usage;
    }

    [Benchmark(Description = "translated: chat.completion → message relayed, usage read")]
    [BenchmarkCategory("answer")]
    public async Task<TokenUsage?> AnswerTranslated()
    {
        var hub = new ChatAnswerMeter();
        using var whole = await ChatToMessages.ReadWholeAsync(new MemoryStream(SampleTraffic.Completion, writable: false), CancellationToken.None);
        hub.Append(whole.WrittenSpan);
        var message = new PooledBufferWriter(whole.WrittenCount + 512);
        ChatToMessages.WriteMessage(whole.WrittenMemory, "gpt-4o-mini", message);
        await using var answer = PassThrough.PooledJson(message, new HubMeter(hub));
        await ResponseRelay.RelayJsonAsync(StreamBenchmarks.NullResponse(), answer.Response, answer.Meter, observe: null, beforeEnd: null, CancellationToken.None);
        return answer.Meter.Usage;
    }

    [Benchmark(Baseline = true, Description = "pass-through: Anthropic stream relayed, usage read")]
    [BenchmarkCategory("stream")]
    public async Task<TokenUsage?> RelayPassThrough()
    {
        await using var events = new SseEventStream(_anthropicStream.Rewind());
        using var meter = new AnthropicAnswerMeter();
        await ResponseRelay.RelayEventsAsync(StreamBenchmarks.NullResponse(), events, meter, clientWantsUsage: true, default,
            s_heartbeat, TimeProvider.System, static () => { }, observe: null, beforeEnd: null, CancellationToken.None);
        return meter.Usage;
    }

    [Benchmark(Description = "translated: chat stream → Messages events relayed, usage read")]
    [BenchmarkCategory("stream")]
    public async Task<TokenUsage?> RelayTranslated()
    {
        await using var hub = new SseEventStream(_chatStream.Rewind());
        var chatMeter = new ChatAnswerMeter();
        await using var events = new ChatToMessagesEventStream(hub, chatMeter.Inspector, "gpt-4o-mini");
        using var meter = new HubMeter(chatMeter, () => events.CurrentIsEnd);
        await ResponseRelay.RelayEventsAsync(StreamBenchmarks.NullResponse(), events, meter, clientWantsUsage: true, default,
            s_heartbeat, TimeProvider.System, static () => { }, observe: null, beforeEnd: null, CancellationToken.None);
        return meter.Usage;
    }
}
