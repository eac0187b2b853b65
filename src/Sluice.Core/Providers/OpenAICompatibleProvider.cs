using System.Runtime.CompilerServices;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// Any server that speaks OpenAI's chat-completions API at its own base URL: Mistral (<c>https://api.mistral.ai/v1</c>),
/// Groq (<c>https://api.groq.com/openai/v1</c>), vLLM, Ollama (<c>http://localhost:11434/v1</c>), LM Studio, …
/// The bearer key is optional: local servers often need none.
/// </summary>
public sealed class OpenAICompatibleProvider(IHttpClientFactory httpClients) : IChatProvider, INativeProvider
{
    // Parsed once per route rather than per request; routes rebuilt on a configuration change let theirs go.
    private readonly ConditionalWeakTable<ModelRoute, Uri> _endpoints = new();

    public string Name => "openai-compatible";

    public void Validate(ModelRoute route)
    {
        if (route.BaseUrl is null)
        {
            throw new InvalidOperationException($"Route '{route.Id}' (openai-compatible) needs a BaseUrl, e.g. https://api.mistral.ai/v1.");
        }
    }

    public async Task<UpstreamResponse> SendAsync(ChatRequest request, ModelRoute route, CancellationToken cancellationToken)
    {
        using var body = OpenAIRequestBody.Write(request, route.UpstreamModel);
        var response = await UpstreamHttp.SendJsonAsync(UpstreamHttp.Create(httpClients), _endpoints.GetValue(route, static r => new Uri(r.BaseUrl!, "chat/completions")), body,
            headers =>
            {
                if (route.Credential.Value is { } key)
                {
                    headers.Authorization = new("Bearer", key);
                }
            }, cancellationToken);
        return await UpstreamHttp.ReadOpenAIResponseAsync(response, request.Stream, cancellationToken);
    }

    /// <summary>Embeddings only: many OpenAI-compatible servers (Ollama, LM Studio, older vLLM) speak chat completions
    /// but not the Responses API, so Responses requests go through the chat hub.</summary>
    public bool Serves(ModelRoute route, NativeOperation operation) => operation is NativeOperation.Embeddings;

    public Task<HttpResponseMessage> SendNativeAsync(NativeOperation operation, ModelRoute route, PooledBufferWriter body,
        Action<System.Net.Http.Headers.HttpRequestHeaders>? headers, CancellationToken cancellationToken) =>
        UpstreamHttp.SendJsonAsync(UpstreamHttp.Create(httpClients), new Uri(route.BaseUrl!, UpstreamHttp.OpenAIPath(operation)), body, h =>
        {
            if (route.Credential.Value is { } key)
            {
                h.Authorization = new("Bearer", key);
            }
            headers?.Invoke(h);
        }, cancellationToken);
}
