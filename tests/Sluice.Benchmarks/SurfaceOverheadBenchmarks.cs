using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.AspNetCore.Http;
using Sluice.Benchmarks.Alternatives;
using Sluice.Providers;
using Sluice.Responses;
using Sluice.Surfaces;
using Sluice.Translation;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Benchmarks;

/// <summary>
/// The overhead budget of every surface against Chat Completions', in one run: the gateway's whole work for one request
/// of the same conversation (a system prompt, a question, one function tool) and the same 50-token answer, through
/// each surface's own code (<see cref="Surface.TryCreateRequest"/>, <see cref="SurfaceRequest.SendAsync"/>, the relay
/// with the surface's meter, the price): parse and validate, pass through or translate the body, relay the answer to
/// the client, read its usage. The upstream is replayed from memory by <see cref="ReplayProvider"/> behind the real
/// provider plumbing (<see cref="UpstreamHttp.ReadOpenAIResponseAsync"/>, the native pass-through's
/// <see cref="HttpResponseMessage"/>); network and storage are left out, as they are the same for every surface.
/// Chat Completions (passed through to an OpenAI route) is each category's baseline, so each ratio is what a surface
/// costs over it. The two "before: JsonDocument" rows serve the same translated streams through the translators as first
/// built (one <see cref="System.Text.Json.JsonDocument"/> per chunk, kept in <c>Alternatives/</c>), and the two "before:
/// the meter reads each chunk again" rows through the chunk reader with the meter's own second read of each chunk (also
/// in <c>Alternatives/</c>), so one run shows old, previous, new and the baseline; they also construct the surface's own (unused) translator, a few hundred bytes.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SurfaceOverheadBenchmarks
{
    private const string SystemPrompt = "You are a concise assistant that answers in plain English.";
    private const string Question = "Explain in three sentences why a gateway should stream bytes rather than buffer bodies.";
    private const string Schema = """{"type":"object","properties":{"term":{"type":"string"}}}""";

    private static byte[] Chat(bool stream) => Encoding.UTF8.GetBytes($$$"""
        {"model":"gpt-4o-mini","stream":{{{Json(stream)}}},"temperature":0.2,"max_tokens":400,
         "messages":[{"role":"system","content":"{{{SystemPrompt}}}"},{"role":"user","content":"{{{Question}}}"}],
         "tools":[{"type":"function","function":{"name":"lookup","description":"Look up a term","parameters":{{{Schema}}}}}]}
        """);

    private static byte[] Messages(bool stream) => Encoding.UTF8.GetBytes($$$"""
        {"model":"gpt-4o-mini","stream":{{{Json(stream)}}},"temperature":0.2,"max_tokens":400,"system":"{{{SystemPrompt}}}",
         "messages":[{"role":"user","content":"{{{Question}}}"}],
         "tools":[{"name":"lookup","description":"Look up a term","input_schema":{{{Schema}}}}]}
        """);

    private static byte[] Responses(bool stream) => Encoding.UTF8.GetBytes($$$"""
        {"model":"gpt-4o-mini","stream":{{{Json(stream)}}},"temperature":0.2,"max_output_tokens":400,"instructions":"{{{SystemPrompt}}}",
         "input":[{"role":"user","content":[{"type":"input_text","text":"{{{Question}}}"}]}],
         "tools":[{"type":"function","name":"lookup","description":"Look up a term","parameters":{{{Schema}}}}]}
        """);

    private static readonly byte[] s_embeddingsRequest = Encoding.UTF8.GetBytes($$"""{"model":"gpt-4o-mini","input":"{{Question}}","encoding_format":"base64"}""");

    private static string Json(bool value) => value ? "true" : "false";

    private readonly HttpRequest _http = new DefaultHttpContext().Request;
    private readonly ChatCompletionsSurface _chat = new();
    private readonly MessagesSurface _messages = new();
    private readonly ResponsesSurface _responses = new(null!);
    private readonly EmbeddingsSurface _embeddings = new();
    private readonly byte[] _chatStream = Chat(stream: true), _chatJson = Chat(stream: false);
    private readonly byte[] _messagesStream = Messages(stream: true), _messagesJson = Messages(stream: false);
    private readonly byte[] _responsesStream = Responses(stream: true), _responsesJson = Responses(stream: false);
    private ModelRoute _openai = null!, _anthropic = null!, _chatOnly = null!;
    private ResponsesRequest _responsesRequest = null!;
    private static readonly ResponseIdentity s_identity = new("resp_0123456789abcdef0123456789ab", 1_765_000_000, Stored: false);

    [GlobalSetup]
    public void Setup()
    {
        ModelRoute Route(string id, string name) => new()
        {
            Id = id, Model = "gpt-4o-mini", UpstreamModel = "gpt-4o-mini-2024-07-18", Provider = new ReplayProvider(name),
            Pricing = new Pricing(0.15m, 0.6m), Facts = RouteDataFacts.WorstCase,
        };
        _openai = Route("openai", "openai");
        _anthropic = Route("anthropic", "anthropic");
        _chatOnly = Route("chat-only", "openai-compatible");
        // Measure paths that work: every stream ends whole with its 50 completion tokens, every answer with usage.
        var rented = ArrayPool<byte>.Shared.Rent(_responsesStream.Length);
        _responsesStream.CopyTo(rented, 0);
        if (!ResponsesRequest.TryParse(BufferedBody.FromPooled(rented, _responsesStream.Length), out var responsesRequest, out _))
        {
            throw new InvalidOperationException("The sample Responses request does not validate.");
        }
        _responsesRequest = responsesRequest!;
        foreach (var run in (Func<Task<TokenUsage?>>[])[ChatStream, MessagesPassThroughStream, MessagesTranslatedStream, MessagesTranslatedStreamBefore,
            MessagesTranslatedStreamTwoReads, ResponsesPassThroughStream, ResponsesTranslatedStream, ResponsesTranslatedStreamBefore,
            ResponsesTranslatedStreamTwoReads, ChatJson, MessagesPassThroughJson, MessagesTranslatedJson, ResponsesPassThroughJson, ResponsesTranslatedJson, Embeddings])
        {
            if (run().GetAwaiter().GetResult() is not { CompletionTokens: > 0 } and not { PromptTokens: > 0 })
            {
                throw new InvalidOperationException($"{run.Method.Name} read no usage.");
            }
        }
    }

    [Benchmark(Baseline = true, Description = "chat.completions → OpenAI (pass-through)")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> ChatStream() => ServeAsync(_chat, _chatStream, _openai);

    [Benchmark(Description = "messages → Anthropic (pass-through)")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> MessagesPassThroughStream() => ServeAsync(_messages, _messagesStream, _anthropic);

    [Benchmark(Description = "messages → OpenAI-compatible (translated)")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> MessagesTranslatedStream() => ServeAsync(_messages, _messagesStream, _chatOnly);

    [Benchmark(Description = "messages → OpenAI-compatible (translated, before: JsonDocument per chunk)")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> MessagesTranslatedStreamBefore() => ServeAsync(_messages, _messagesStream, _chatOnly, hub =>
    {
        var meter = new ChatAnswerMeter();
        var events = new DocumentChatToMessagesEventStream(hub, meter.Inspector, _chatOnly.UpstreamModel);
        return (events, new HubMeter(meter, () => events.CurrentIsEnd));
    });

    [Benchmark(Description = "messages → OpenAI-compatible (translated, before: the meter reads each chunk again)")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> MessagesTranslatedStreamTwoReads() => ServeAsync(_messages, _messagesStream, _chatOnly, hub =>
    {
        var meter = new ChatAnswerMeter();
        var events = new TwoReadChatToMessagesEventStream(hub, meter.Inspector, _chatOnly.UpstreamModel);
        return (events, new HubMeter(meter, () => events.CurrentIsEnd));
    });

    [Benchmark(Description = "responses → OpenAI (pass-through)")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> ResponsesPassThroughStream() => ServeAsync(_responses, _responsesStream, _openai);

    [Benchmark(Description = "responses → OpenAI-compatible (translated)")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> ResponsesTranslatedStream() => ServeAsync(_responses, _responsesStream, _chatOnly);

    [Benchmark(Description = "responses → OpenAI-compatible (translated, before: JsonDocument per chunk)")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> ResponsesTranslatedStreamBefore() => ServeAsync(_responses, _responsesStream, _chatOnly, hub =>
    {
        var meter = new ChatAnswerMeter();
        var events = new DocumentTranslatedResponsesStream(hub, meter,
            new DocumentChatToResponsesStream(_responsesRequest.Root, s_identity, _responsesRequest.Model));
        return (events, new HubMeter(meter, () => events.AtEnd));
    });

    [Benchmark(Description = "responses → OpenAI-compatible (translated, before: the meter reads each chunk again)")]
    [BenchmarkCategory("stream")]
    public Task<TokenUsage?> ResponsesTranslatedStreamTwoReads() => ServeAsync(_responses, _responsesStream, _chatOnly, hub =>
    {
        var meter = new ChatAnswerMeter();
        var events = new TwoReadTranslatedResponsesStream(hub, meter,
            new ChatToResponsesStream(_responsesRequest.Root, s_identity, _responsesRequest.Model));
        return (events, new HubMeter(meter, () => events.AtEnd));
    });

    [Benchmark(Baseline = true, Description = "chat.completions → OpenAI (pass-through)")]
    [BenchmarkCategory("json")]
    public Task<TokenUsage?> ChatJson() => ServeAsync(_chat, _chatJson, _openai);

    [Benchmark(Description = "messages → Anthropic (pass-through)")]
    [BenchmarkCategory("json")]
    public Task<TokenUsage?> MessagesPassThroughJson() => ServeAsync(_messages, _messagesJson, _anthropic);

    [Benchmark(Description = "messages → OpenAI-compatible (translated)")]
    [BenchmarkCategory("json")]
    public Task<TokenUsage?> MessagesTranslatedJson() => ServeAsync(_messages, _messagesJson, _chatOnly);

    [Benchmark(Description = "responses → OpenAI (pass-through)")]
    [BenchmarkCategory("json")]
    public Task<TokenUsage?> ResponsesPassThroughJson() => ServeAsync(_responses, _responsesJson, _openai);

    [Benchmark(Description = "responses → OpenAI-compatible (translated)")]
    [BenchmarkCategory("json")]
    public Task<TokenUsage?> ResponsesTranslatedJson() => ServeAsync(_responses, _responsesJson, _chatOnly);

    [Benchmark(Description = "embeddings → OpenAI (pass-through, 1,536 dimensions)")]
    [BenchmarkCategory("json")]
    public Task<TokenUsage?> Embeddings() => ServeAsync(_embeddings, s_embeddingsRequest, _openai);

    /// <summary>What <see cref="GatewayFlow"/> does for one request between reading the body and recording the row.</summary>
    /// <param name="before">For the "before" rows: the translation as first built, over the surface's hub stream.</param>
    private async Task<TokenUsage?> ServeAsync(Surface surface, byte[] wire, ModelRoute route,
        Func<IChatEventStream, (IChatEventStream Events, IAnswerMeter Meter)>? before = null)
    {
        var rented = ArrayPool<byte>.Shared.Rent(wire.Length);
        wire.CopyTo(rented, 0);
        if (!surface.TryCreateRequest(BufferedBody.FromPooled(rented, wire.Length), _http, out var parsed, out var error))
        {
            throw new InvalidOperationException($"The sample {surface.Endpoint} request is refused: {error!.Message}");
        }
        using var request = parsed!;
        await using var answer = await request.SendAsync(route, _http, CancellationToken.None);
        if (answer.Response.Error is not null)
        {
            throw new InvalidOperationException($"The {surface.Endpoint} request is refused on route {route.Id}.");
        }
        var context = StreamBenchmarks.NullResponse();
        if (before is not null)
        {
            var (events, meter) = before(((UpstreamResponse)answer.Hub!).Events!);
            await using (events)
            {
                using (meter)
                {
                    await RelayAsync(events, meter);
                    return meter.Usage;
                }
            }
        }
        if (answer.Response.Events is { } translated)
        {
            await RelayAsync(translated, answer.Meter);
        }
        else
        {
            await ResponseRelay.RelayJsonAsync(context, answer.Response, answer.Meter, observe: null, beforeEnd: null, CancellationToken.None);
        }
        var usage = answer.Meter.Usage;
        if (usage is { } u)
        {
            GC.KeepAlive(route.Pricing.CostNanoUsd(u.PromptTokens, u.CompletionTokens));
        }
        return usage;

        async Task RelayAsync(IChatEventStream events, IAnswerMeter meter)
        {
            if (!await ResponseRelay.RelayEventsAsync(context, events, meter, answer.ClientWantsUsageEvents, answer.StreamEnd,
                TimeSpan.FromSeconds(30), TimeProvider.System, static () => { }, observe: null, beforeEnd: null, CancellationToken.None))
            {
                throw new InvalidOperationException($"The {surface.Endpoint} stream on route {route.Id} did not end whole.");
            }
        }
    }

    /// <summary>
    /// An upstream replayed from memory behind the real plumbing: chat requests are written as the OpenAI provider
    /// writes them (<see cref="OpenAIRequestBody"/>) and answered through <see cref="UpstreamHttp.ReadOpenAIResponseAsync"/>;
    /// native requests (Anthropic Messages, Responses, embeddings) get the provider's own recorded answer as an
    /// <see cref="HttpResponseMessage"/>, read by the surface as a real one is.
    /// </summary>
    private sealed class ReplayProvider(string name) : IChatProvider, INativeProvider
    {
        private static readonly byte[] s_anthropicStream = AnthropicTranslationBenchmarks.BuildStream();
        private static readonly byte[] s_responsesStream = ResponsesTranslationBenchmarks.BuildStream();
        private static readonly byte[] s_embedding = Encoding.UTF8.GetBytes($$$"""
            {"object":"list","data":[{"object":"embedding","index":0,"embedding":"{{{Convert.ToBase64String(new byte[1536 * 4])}}}"}],"model":"text-embedding-3-small","usage":{"prompt_tokens":17,"total_tokens":17}}
            """);

        public string Name => name;

        public void Validate(ModelRoute route)
        {
        }

        public async Task<UpstreamResponse> SendAsync(ChatRequest request, ModelRoute route, CancellationToken cancellationToken)
        {
            using (OpenAIRequestBody.Write(request, route.UpstreamModel))
            {
            }
            return await UpstreamHttp.ReadOpenAIResponseAsync(Answer(request.Stream ? SampleTraffic.Stream : SampleTraffic.Completion, request.Stream),
                request.Stream, cancellationToken);
        }

        public bool Serves(ModelRoute route, NativeOperation operation) => name switch
        {
            "anthropic" => operation is NativeOperation.Messages,
            "openai" => operation is NativeOperation.Responses or NativeOperation.Embeddings,
            _ => false,
        };

        public Task<HttpResponseMessage> SendNativeAsync(NativeOperation operation, ModelRoute route, PooledBufferWriter body,
            Action<HttpRequestHeaders>? headers, CancellationToken cancellationToken)
        {
            // The pass-through bodies are written compactly: a search finds the switch without a second parse.
            var stream = body.WrittenSpan.IndexOf("\"stream\":true"u8) >= 0;
            var wire = operation switch
            {
                NativeOperation.Messages => stream ? s_anthropicStream : AnthropicTranslationBenchmarks.Message,
                NativeOperation.Responses => stream ? s_responsesStream : ResponsesTranslationBenchmarks.ResponseJson,
                _ => s_embedding,
            };
            return Task.FromResult(Answer(wire, stream));
        }

        private static HttpResponseMessage Answer(byte[] wire, bool stream)
        {
            var content = new StreamContent(new MemoryStream(wire, writable: false));
            content.Headers.ContentType = new MediaTypeHeaderValue(stream ? "text/event-stream" : "application/json");
            content.Headers.ContentLength = stream ? null : wire.Length;
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = content };
        }
    }
}
