using System.Runtime.CompilerServices;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>OpenAI's own API: <c>{BaseUrl}chat/completions</c> with a bearer key. BaseUrl defaults to OpenAI's.</summary>
public sealed class OpenAIProvider(IHttpClientFactory httpClients) : IChatProvider, INativeProvider
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

    public bool Serves(ModelRoute route, NativeOperation operation) => operation is NativeOperation.Embeddings or NativeOperation.Responses;

    public Task<HttpResponseMessage> SendNativeAsync(NativeOperation operation, ModelRoute route, PooledBufferWriter body,
        Action<System.Net.Http.Headers.HttpRequestHeaders>? headers, CancellationToken cancellationToken) =>
        UpstreamHttp.SendJsonAsync(UpstreamHttp.Create(httpClients), new Uri(route.BaseUrl ?? s_defaultBase, UpstreamHttp.OpenAIPath(operation)), body, h =>
        {
            h.Authorization = new("Bearer", route.Credential.Value ?? "");
            headers?.Invoke(h);
        }, cancellationToken);
}
