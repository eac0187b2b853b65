using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Proxy;
using Sluice.Surfaces;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The model-facing routes, one function each. Each hands the request to the same flow (with its API shape)
/// or handler the local host uses.</summary>
public sealed class ProxyFunctions(
    GatewayFlow flow,
    ChatCompletionsSurface chat,
    MessagesSurface messages,
    MessagesCountTokensSurface countTokens,
    EmbeddingsSurface embeddings,
    ModelsHandler models)
{
    [Function(nameof(ChatCompletions))]
    public Task<IResult> ChatCompletions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.ChatCompletions)] HttpRequest request) =>
        flow.HandleAsync(request.HttpContext, chat);

    [Function(nameof(Messages))]
    public Task<IResult> Messages(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.Messages)] HttpRequest request) =>
        flow.HandleAsync(request.HttpContext, messages);

    [Function(nameof(MessagesCountTokens))]
    public Task<IResult> MessagesCountTokens(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.MessagesCountTokens)] HttpRequest request) =>
        flow.HandleAsync(request.HttpContext, countTokens);

    [Function(nameof(Embeddings))]
    public Task<IResult> Embeddings(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.Embeddings)] HttpRequest request) =>
        flow.HandleAsync(request.HttpContext, embeddings);

    [Function(nameof(Models))]
    public Task<IResult> Models(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Models)] HttpRequest request) =>
        models.HandleAsync(request.HttpContext);

    [Function(nameof(Model))]
    public Task<IResult> Model(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Model)] HttpRequest request, string id) =>
        models.RetrieveAsync(request.HttpContext, id);
}
