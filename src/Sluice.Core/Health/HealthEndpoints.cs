using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Wire;

namespace Sluice.Health;

public static class HealthEndpoints
{
    /// <summary>Maps <c>GET /health</c> for the local host (the Functions app has a function for it).</summary>
    public static IEndpointRouteBuilder MapSluiceHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + SluiceRoutes.Health, (HttpContext c, HealthHandler h) => h.HandleAsync(c));
        return app;
    }
}
