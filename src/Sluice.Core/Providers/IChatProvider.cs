using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// One upstream API family. A provider turns an OpenAI-format <see cref="ChatRequest"/> into its upstream's call
/// and the upstream's answer back into OpenAI format; the request flow never checks which provider it holds.
/// </summary>
public interface IChatProvider
{
    /// <summary>The <c>Provider</c> value routes use to select this provider, e.g. <c>openai</c>.</summary>
    string Name { get; }

    /// <summary>Checks at start-up that a route has what this provider needs (base URL, api-version, …);
    /// throws <see cref="InvalidOperationException"/> with a message naming the missing setting.</summary>
    void Validate(ModelRoute route);

    /// <summary>
    /// Sends the request and returns once the upstream's response headers have arrived (or a local answer is
    /// ready). Upstream HTTP errors come back as an <see cref="UpstreamResponse"/> with <see cref="UpstreamResponse.Error"/>
    /// set; an unreachable upstream throws <see cref="HttpRequestException"/>, a timeout <see cref="TimeoutException"/>.
    /// </summary>
    Task<UpstreamResponse> SendAsync(ChatRequest request, ModelRoute route, CancellationToken cancellationToken);
}
