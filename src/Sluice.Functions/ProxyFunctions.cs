using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Proxy;
using Sluice.Surfaces;

namespace Sluice.Functions;

/// <summary>The model-facing routes. Each function hands the request to the same flow or handler the local host uses.</summary>
public sealed class ProxyFunctions(GatewayFlow flow, ChatCompletionsSurface chat, ModelsHandler models)
{
    [Function(nameof(ChatCompletions))]
    public Task<IResult> ChatCompletions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.ChatCompletions)] HttpRequest request) =>
        flow.HandleAsync(request.HttpContext, chat);

    [Function(nameof(Models))]
    public Task<IResult> Models(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Models)] HttpRequest request) =>
        models.HandleAsync(request.HttpContext);
}
