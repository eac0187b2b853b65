using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Routing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c>. Answered by the route the data policy selects, as a generation would be: an
/// Anthropic route's own <c>messages/count_tokens</c> (the body passed through, so the count is the model's), any other
/// route by the gateway's estimator over the request as the route would receive it (no upstream call: Chat Completions
/// has no counting endpoint). Counting is free upstream, so the row has no tokens and no cost; it records the call.
/// </summary>
public sealed class MessagesCountTokensSurface(TokenEstimator estimator) : Surface
{
    public const string Name = "messages.count_tokens";

    public override string Endpoint => Name;

    public override bool TryCreateRequest(BufferedBody body, HttpRequest http, [NotNullWhen(true)] out SurfaceRequest? request, [NotNullWhen(false)] out ApiError? error)
    {
        request = null;
        if (!MessagesRequest.TryParse(body, requireMaxTokens: false, out var document, out var model, out _, out var store, out error))
        {
            return false;
        }
        request = new CountTokensRequest(new MessagesRequest(body, document) { Model = model!, Store = store }, estimator)
        {
            Model = model!,
            Store = store,
        };
        return true;
    }

    public override Task WriteErrorAsync(HttpContext context, ApiError error) => AnthropicErrors.WriteAsync(context, error);

    public override ReadOnlyMemory<byte> ShapeUpstreamError(UpstreamError error) => AnthropicErrors.Reshape(error);

    private sealed class CountTokensRequest(MessagesRequest messages, TokenEstimator estimator) : SurfaceRequest
    {
        public override ReadOnlyMemory<byte> Body => messages.Body;

        public override JsonElement Root => messages.Root;

        /// <summary>A count is not billed: nothing is estimated for it.</summary>
        public override int EstimatePromptTokens(TokenEstimator estimator) => 0;

        public override async Task<SurfaceAnswer> SendAsync(ModelRoute route, HttpRequest http, CancellationToken cancellationToken)
        {
            if (route.Provider is INativeProvider native && native.Serves(route, NativeOperation.MessagesCountTokens))
            {
                using var passed = PassThrough.WriteBody(Root, Body.Length, route.UpstreamModel);
                var response = await native.SendNativeAsync(NativeOperation.MessagesCountTokens, route, passed, PassThrough.AnthropicBeta(http), cancellationToken);
                return await PassThrough.ReadAsync(response, stream: false, FreeMeter.Instance, cancellationToken);
            }
            if (!messages.ToChat().TryGet(out var chat, out var refusal))
            {
                return SurfaceAnswer.Refused(refusal);
            }
            using var owned = chat;
            var count = estimator.CountPrompt(chat);
            return PassThrough.LocalJson(System.Text.Encoding.UTF8.GetBytes($"{{\"input_tokens\":{count}}}"), FreeMeter.Instance);
        }

        public override void Dispose() => messages.Dispose();
    }

    /// <summary>A call that uses no tokens: the row says zero, reported rather than estimated.</summary>
    private sealed class FreeMeter : IAnswerMeter
    {
        public static readonly FreeMeter Instance = new();

        public AnswerEvent Inspect(ReadOnlySpan<byte> data) => AnswerEvent.Relay;

        public void Append(ReadOnlySpan<byte> json)
        {
        }

        public TokenUsage? Usage => new TokenUsage(0, 0);

        public int EstimateCompletion(TokenEstimator estimator) => 0;

        public void Dispose()
        {
        }
    }
}
