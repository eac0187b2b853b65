using System.Net.Http.Headers;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// An API of an upstream other than chat completions, called in the upstream's own wire format: the path a surface
/// takes when the client's shape is the route's (Anthropic Messages to an Anthropic route, embeddings or Responses to
/// an OpenAI-family route), so the body passes with only <c>model</c> rewritten and fields Sluice does not model survive.
/// </summary>
public enum NativeOperation
{
    /// <summary>Anthropic's <c>POST messages</c>.</summary>
    Messages,

    /// <summary>Anthropic's <c>POST messages/count_tokens</c>.</summary>
    MessagesCountTokens,

    /// <summary>OpenAI's <c>POST embeddings</c> (Azure OpenAI: the deployment's <c>embeddings</c>).</summary>
    Embeddings,

    /// <summary>OpenAI's <c>POST responses</c>.</summary>
    Responses,
}

/// <summary>
/// A provider whose upstream also takes <see cref="NativeOperation"/>s in its own format. Implemented by the same
/// class as its <see cref="IChatProvider"/>: one file per provider family, holding its endpoints and credentials.
/// </summary>
public interface INativeProvider
{
    /// <summary>Whether the route's upstream serves <paramref name="operation"/>.</summary>
    bool Serves(ModelRoute route, NativeOperation operation);

    /// <summary>
    /// Posts <paramref name="body"/> (already in the upstream's format, <c>model</c> set) to the operation's endpoint with
    /// the route's credentials, plus the <paramref name="headers"/> a surface forwards (e.g. <c>anthropic-beta</c>), and
    /// returns at the response headers. Errors are the caller's to read (<see cref="UpstreamHttp.ReadErrorAsync"/>).
    /// </summary>
    Task<HttpResponseMessage> SendNativeAsync(NativeOperation operation, ModelRoute route, PooledBufferWriter body,
        Action<HttpRequestHeaders>? headers, CancellationToken cancellationToken);
}
