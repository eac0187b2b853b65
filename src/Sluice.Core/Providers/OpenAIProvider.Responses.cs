using System.Runtime.CompilerServices;
using Sluice.Proxy;
using Sluice.Routing;

namespace Sluice.Providers;

/// <summary>OpenAI's Responses API: <c>{BaseUrl}responses</c> with the route's bearer key.</summary>
public sealed partial class OpenAIProvider : IResponsesProvider
{
    private readonly ConditionalWeakTable<ModelRoute, Uri> _responsesEndpoints = new();

    public Task<HttpResponseMessage> SendResponsesAsync(PooledBufferWriter body, ModelRoute route, CancellationToken cancellationToken) =>
        UpstreamHttp.SendJsonAsync(UpstreamHttp.Create(httpClients), _responsesEndpoints.GetValue(route, static r => new Uri(r.BaseUrl ?? s_defaultBase, "responses")), body,
            headers => headers.Authorization = new("Bearer", route.Credential.Value ?? ""), cancellationToken);
}
