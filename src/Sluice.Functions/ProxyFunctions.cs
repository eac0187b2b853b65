using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Proxy;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The OpenAI-compatible routes. Each function hands the request to the same handler the local host uses.</summary>
public sealed class ProxyFunctions(ChatCompletionsHandler chat, ModelsHandler models)
{
    [Function(nameof(ChatCompletions))]
    public Task<IResult> ChatCompletions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.ChatCompletions)] HttpRequest request) =>
        chat.HandleAsync(request.HttpContext);

    [Function(nameof(Models))]
    public Task<IResult> Models(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Models)] HttpRequest request) =>
        models.HandleAsync(request.HttpContext);
}
