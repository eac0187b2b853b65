using Sluice.Proxy;
using Sluice.Routing;

namespace Sluice.Providers;

/// <summary>
/// A provider whose upstream speaks OpenAI's Responses API itself (OpenAI, Azure OpenAI): a Responses request passes
/// through to it with only the model rewritten and <c>store: false</c> forced, so provider features Sluice does not
/// model survive. Routes of other providers get the request translated to Chat Completions.
/// </summary>
public interface IResponsesProvider
{
    /// <summary>Posts <paramref name="body"/> to the route's Responses endpoint and returns at the response headers.
    /// An unreachable upstream throws <see cref="HttpRequestException"/>, a timeout <see cref="TimeoutException"/>.</summary>
    Task<HttpResponseMessage> SendResponsesAsync(PooledBufferWriter body, ModelRoute route, CancellationToken cancellationToken);
}
