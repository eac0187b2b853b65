using System.Runtime.CompilerServices;
using Azure.Core;
using Sluice.Proxy;
using Sluice.Routing;

namespace Sluice.Providers;

/// <summary>Azure OpenAI's Responses API, the v1 surface: <c>{endpoint}openai/v1/responses</c>, the deployment named
/// by <c>model</c> in the body (no api-version), with the <c>api-key</c> header or the managed identity's token.</summary>
public sealed partial class AzureOpenAIProvider : IResponsesProvider
{
    private readonly ConditionalWeakTable<ModelRoute, Uri> _responsesEndpoints = new();

    public async Task<HttpResponseMessage> SendResponsesAsync(PooledBufferWriter body, ModelRoute route, CancellationToken cancellationToken)
    {
        string? bearer = null;
        if (route.UseManagedIdentity)
        {
            bearer = (await _credential.Value.GetTokenAsync(new TokenRequestContext(s_scopes), cancellationToken)).Token;
        }
        return await UpstreamHttp.SendJsonAsync(UpstreamHttp.Create(httpClients), _responsesEndpoints.GetValue(route, static r => new Uri(r.BaseUrl!, "openai/v1/responses")), body,
            headers =>
            {
                if (bearer is not null)
                {
                    headers.Authorization = new("Bearer", bearer);
                }
                else
                {
                    headers.Add("api-key", route.Credential.Value ?? "");
                }
            }, cancellationToken);
    }
}
