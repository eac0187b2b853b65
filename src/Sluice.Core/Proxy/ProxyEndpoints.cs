using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Wire;

namespace Sluice.Proxy;

public static class ProxyEndpoints
{
    /// <summary>Maps the OpenAI-compatible routes for the local host (the Functions app has one function per route).</summary>
    public static IEndpointRouteBuilder MapSluiceProxy(this IEndpointRouteBuilder app)
    {
        app.MapPost("/" + SluiceRoutes.ChatCompletions, (HttpContext context, ChatCompletionsHandler handler) => handler.HandleAsync(context));
        app.MapGet("/" + SluiceRoutes.Models, (HttpContext context, ModelsHandler handler) => handler.HandleAsync(context));
        return app;
    }
}
