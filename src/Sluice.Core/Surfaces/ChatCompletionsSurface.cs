using Microsoft.AspNetCore.Http;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Routing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>
/// <c>POST /v1/chat/completions</c>: the hub shape itself. Every <see cref="Providers.IChatProvider"/> takes it, so the
/// request goes to the route's provider as it is (the provider rewrites it for its upstream), and the answer comes back
/// in it; errors are OpenAI's.
/// </summary>
public sealed class ChatCompletionsSurface : Surface
{
    public const string Name = "chat.completions";

    public override string Endpoint => Name;

    public override bool TryCreateRequest(BufferedBody body, HttpRequest http, out SurfaceRequest? request, out ApiError? error)
    {
        request = null;
        if (!ChatRequest.TryParse(body, out var chat, out error))
        {
            return false;
        }
        request = new ChatSurfaceRequest(chat!) { Model = chat!.Model, Stream = chat.Stream, Store = chat.Store };
        return true;
    }

    private sealed class ChatSurfaceRequest(ChatRequest chat) : SurfaceRequest
    {
        public override ReadOnlyMemory<byte> Body => chat.Body;

        public override System.Text.Json.JsonElement Root => chat.Root;

        public override int EstimatePromptTokens(TokenEstimator estimator) => estimator.CountPrompt(chat);

        public override async Task<SurfaceAnswer> SendAsync(ModelRoute route, HttpRequest http, CancellationToken cancellationToken)
        {
            var upstream = await route.Provider.SendAsync(chat, route, cancellationToken);
            return new SurfaceAnswer(upstream, new ChatAnswerMeter(), ResponseRelay.Done)
            {
                ClientWantsUsageEvents = chat.ClientWantsStreamUsage,
            };
        }

        public override void Dispose() => chat.Dispose();
    }
}

/// <summary>Usage of an answer in Chat Completions' shape: the <c>usage</c> of a <c>chat.completion</c> or of a
/// stream's last chunk (with cached and reasoning token details), and a sample of the text to estimate from.</summary>
public sealed class ChatAnswerMeter : IAnswerMeter
{
    private JsonUsageScanner? _scanner;

    public ChunkInspector Inspector { get; } = new();

    public AnswerEvent Inspect(ReadOnlySpan<byte> data) =>
        Inspector.Inspect(data) ? AnswerEvent.UsageOnly : Inspector.Failure is null ? AnswerEvent.Relay : AnswerEvent.Failed;

    public string? Failure => Inspector.Failure;

    public void Append(ReadOnlySpan<byte> json) => (_scanner ??= new JsonUsageScanner()).Append(json);

    public TokenUsage? Usage => _scanner is not null ? _scanner.Usage : Inspector.Usage;

    public int EstimateCompletion(TokenEstimator estimator) =>
        _scanner is not null ? estimator.CountCompletion(_scanner) : estimator.CountCompletion(Inspector);

    public void Dispose() => _scanner?.Dispose();
}
