using System.Runtime.CompilerServices;
using Azure.Core;
using Microsoft.Extensions.Options;
using Sluice.Stamp;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// Azure OpenAI: <c>{endpoint}openai/deployments/{deployment}/chat/completions?api-version=…</c>, where the route's
/// UpstreamModel is the deployment name. Authenticates with the <c>api-key</c> header, or with an Entra ID token of
/// the app's managed identity (<c>Auth: entra</c>, role Cognitive Services OpenAI User on the resource).
/// </summary>
public sealed class AzureOpenAIProvider(IHttpClientFactory httpClients, IOptions<StampOptions> stamp) : IChatProvider, INativeProvider
{
    private static readonly string[] s_scopes = ["https://cognitiveservices.azure.com/.default"];
    private readonly Lazy<TokenCredential> _credential = new(() => stamp.Value.CreateCredential());

    // Built once per route rather than per request, as the OpenAI providers do.
    private readonly ConditionalWeakTable<ModelRoute, Uri> _endpoints = new();
    private readonly ConditionalWeakTable<ModelRoute, Uri> _embeddings = new();
    private readonly ConditionalWeakTable<ModelRoute, Uri> _responses = new();

    public string Name => "azure-openai";

    public void Validate(ModelRoute route)
    {
        if (route.BaseUrl is null || string.IsNullOrWhiteSpace(route.ApiVersion))
        {
            throw new InvalidOperationException(
                $"Route '{route.Id}' (azure-openai) needs BaseUrl (https://<resource>.openai.azure.com) and ApiVersion.");
        }
    }

    public async Task<UpstreamResponse> SendAsync(ChatRequest request, ModelRoute route, CancellationToken cancellationToken)
    {
        var uri = _endpoints.GetValue(route, static r => DeploymentUri(r, "chat/completions"));
        // The deployment in the URL picks the model; sending "model" as well is allowed but pointless.
        using var body = OpenAIRequestBody.Write(request, upstreamModel: null);
        var response = await SendAsync(uri, route, body, null, cancellationToken);
        return await UpstreamHttp.ReadOpenAIResponseAsync(response, request.Stream, cancellationToken);
    }

    /// <summary>Embeddings, on the route's deployment; Responses on the resource's v1 API
    /// (<c>{endpoint}openai/v1/responses</c>, no api-version), the deployment named by <c>model</c> in the body.</summary>
    public bool Serves(ModelRoute route, NativeOperation operation) => operation is NativeOperation.Embeddings or NativeOperation.Responses;

    public Task<HttpResponseMessage> SendNativeAsync(NativeOperation operation, ModelRoute route, PooledBufferWriter body,
        Action<System.Net.Http.Headers.HttpRequestHeaders>? headers, CancellationToken cancellationToken) =>
        SendAsync(operation == NativeOperation.Responses
            ? _responses.GetValue(route, static r => new Uri(r.BaseUrl!, "openai/v1/responses"))
            : _embeddings.GetValue(route, static r => DeploymentUri(r, "embeddings")), route, body, headers, cancellationToken);

    private static Uri DeploymentUri(ModelRoute route, string operation) => new(route.BaseUrl!,
        $"openai/deployments/{Uri.EscapeDataString(route.UpstreamModel)}/{operation}?api-version={Uri.EscapeDataString(route.ApiVersion!)}");

    private async Task<HttpResponseMessage> SendAsync(Uri uri, ModelRoute route, PooledBufferWriter body,
        Action<System.Net.Http.Headers.HttpRequestHeaders>? extra, CancellationToken cancellationToken)
    {
        string? bearer = null;
        if (route.UseManagedIdentity)
        {
            // The credential caches tokens and refreshes them before they expire.
            bearer = (await _credential.Value.GetTokenAsync(new TokenRequestContext(s_scopes), cancellationToken)).Token;
        }
        return await UpstreamHttp.SendJsonAsync(UpstreamHttp.Create(httpClients), uri, body, headers =>
        {
            if (bearer is not null)
            {
                headers.Authorization = new("Bearer", bearer);
            }
            else
            {
                headers.Add("api-key", route.Credential.Value ?? "");
            }
            extra?.Invoke(headers);
        }, cancellationToken);
    }
}
