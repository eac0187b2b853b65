using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Wire;
using Sluice.Surfaces;

namespace Sluice.Responses;

public static class ResponsesEndpoints
{
    /// <summary>Maps the Responses API for the local host (the Functions app has one function per route).</summary>
    public static IEndpointRouteBuilder MapSluiceResponses(this IEndpointRouteBuilder app)
    {
        app.MapPost("/" + SluiceRoutes.Responses, (HttpContext c, GatewayFlow flow, ResponsesSurface surface) => flow.HandleAsync(c, surface));
        app.MapPost("/" + SluiceRoutes.ResponseInputTokens, (HttpContext c, StoredResponseHandlers h) => h.InputTokensAsync(c));
        app.MapGet("/" + SluiceRoutes.Response, (HttpContext c, string responseId, StoredResponseHandlers h) => h.GetAsync(c, responseId));
        app.MapDelete("/" + SluiceRoutes.Response, (HttpContext c, string responseId, StoredResponseHandlers h) => h.DeleteAsync(c, responseId));
        app.MapGet("/" + SluiceRoutes.ResponseInputItems, (HttpContext c, string responseId, StoredResponseHandlers h) => h.InputItemsAsync(c, responseId));
        return app;
    }
}
