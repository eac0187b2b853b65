using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Wire;

namespace Sluice.Routing;

public static class DataPolicyEndpoints
{
    /// <summary>Maps <c>GET/PUT /v1/account/data-policy</c> for the local host.</summary>
    public static IEndpointRouteBuilder MapSluiceDataPolicy(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + SluiceRoutes.AccountDataPolicy, (HttpContext c, DataPolicyHandlers h) => h.GetAsync(c));
        app.MapPut("/" + SluiceRoutes.AccountDataPolicy, (HttpContext c, DataPolicyHandlers h) => h.PutAsync(c));
        return app;
    }
}
