using System.Runtime.CompilerServices;
using Sluice.Proxy;
using Sluice.Routing;

namespace Sluice.Providers;

/// <summary>OpenAI's own API: <c>{BaseUrl}chat/completions</c> with a bearer key. BaseUrl defaults to OpenAI's.</summary>
public sealed partial class OpenAIProvider(IHttpClientFactory httpClients) : IChatProvider
{
    private static readonly Uri s_defaultBase = new("https://api.openai.com/v1/");

    // Parsed once per route rather than per request; routes rebuilt on a configuration change let theirs go.
    private readonly ConditionalWeakTable<ModelRoute, Uri> _endpoints = new();

    public string Name => "openai";

    public void Validate(ModelRoute route)
    {
    }

    public async Task<UpstreamResponse> SendAsync(ChatRequest request, ModelRoute route, CancellationToken cancellationToken)
    {
        using var body = OpenAIRequestBody.Write(request, route.UpstreamModel);
        var response = await UpstreamHttp.SendJsonAsync(UpstreamHttp.Create(httpClients), _endpoints.GetValue(route, static r => new Uri(r.BaseUrl ?? s_defaultBase, "chat/completions")), body,
            headers => headers.Authorization = new("Bearer", route.Credential.Value ?? ""), cancellationToken);
        return await UpstreamHttp.ReadOpenAIResponseAsync(response, request.Stream, cancellationToken);
    }
}
