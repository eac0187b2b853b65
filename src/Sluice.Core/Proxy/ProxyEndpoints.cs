using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Wire;

namespace Sluice.Proxy;

public static class ProxyEndpoints
{
    /// <summary>Maps the model list for the local host (the Functions app has one function per route). The API shapes
    /// that forward to a model are mapped by <c>Sluice.Surfaces.SurfaceEndpoints</c>.</summary>
    public static IEndpointRouteBuilder MapSluiceProxy(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + SluiceRoutes.Models, (HttpContext context, ModelsHandler handler) => handler.HandleAsync(context));
        app.MapGet("/" + SluiceRoutes.Model, (HttpContext context, string id, ModelsHandler handler) => handler.RetrieveAsync(context, id));
        return app;
    }
}
