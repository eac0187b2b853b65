using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Wire;
using Sluice.Responses;
using Sluice.Surfaces;

namespace Sluice.Functions;

/// <summary>OpenAI's Responses API. Each function hands the request to the same handler the local host uses.</summary>
public sealed class ResponsesFunctions(GatewayFlow flow, ResponsesSurface responses, StoredResponseHandlers stored)
{
    [Function(nameof(CreateResponse))]
    public Task<IResult> CreateResponse(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.Responses)] HttpRequest request) =>
        flow.HandleAsync(request.HttpContext, responses);

    [Function(nameof(CountResponseInputTokens))]
    public Task<IResult> CountResponseInputTokens(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.ResponseInputTokens)] HttpRequest request) =>
        stored.InputTokensAsync(request.HttpContext);

    [Function(nameof(GetResponse))]
    public Task<IResult> GetResponse(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Response)] HttpRequest request, string responseId) =>
        stored.GetAsync(request.HttpContext, responseId);

    [Function(nameof(DeleteResponse))]
    public Task<IResult> DeleteResponse(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SluiceRoutes.Response)] HttpRequest request, string responseId) =>
        stored.DeleteAsync(request.HttpContext, responseId);

    [Function(nameof(ListResponseInputItems))]
    public Task<IResult> ListResponseInputItems(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.ResponseInputItems)] HttpRequest request, string responseId) =>
        stored.InputItemsAsync(request.HttpContext, responseId);
}
