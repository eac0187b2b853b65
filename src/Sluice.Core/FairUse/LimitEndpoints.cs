using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Wire;

namespace Sluice.FairUse;

public static class LimitEndpoints
{
    /// <summary>Maps the limits routes for the local host (the Functions app has one function per route).</summary>
    public static IEndpointRouteBuilder MapSluiceLimits(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + SluiceRoutes.AccountLimits, (HttpContext c, LimitHandlers h) => h.GetAccountAsync(c));
        app.MapPut("/" + SluiceRoutes.AccountLimits, (HttpContext c, LimitHandlers h) => h.PutAccountAsync(c));
        app.MapGet("/" + SluiceRoutes.KeyLimits, (HttpContext c, string keyId, LimitHandlers h) => h.GetKeyAsync(c, keyId));
        app.MapPut("/" + SluiceRoutes.KeyLimits, (HttpContext c, string keyId, LimitHandlers h) => h.PutKeyAsync(c, keyId));
        app.MapGet("/" + SluiceRoutes.MemberLimits, (HttpContext c, string memberId, LimitHandlers h) => h.GetMemberAsync(c, memberId));
        app.MapPut("/" + SluiceRoutes.MemberLimits, (HttpContext c, string memberId, LimitHandlers h) => h.PutMemberAsync(c, memberId));
        return app;
    }
}
