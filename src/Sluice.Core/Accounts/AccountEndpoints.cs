using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Wire;

namespace Sluice.Accounts;

internal static class AccountEndpoints
{
    /// <summary>Maps the customer's account, key and audit routes for the local host (the Functions app has one function
    /// per route calling the same handlers). Authentication and roles are checked inside each handler, so both hosts
    /// enforce them identically.</summary>
    public static IEndpointRouteBuilder MapSluiceAccounts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + SluiceRoutes.Account, (HttpContext c, AccountHandlers h) => h.GetAccountAsync(c));
        app.MapPost("/" + SluiceRoutes.AccountClose, (HttpContext c, AccountHandlers h) => h.CloseAccountAsync(c));
        app.MapGet("/" + SluiceRoutes.AccountIpAllowlist, (HttpContext c, AccountHandlers h) => h.GetIpAllowlistAsync(c));
        app.MapPut("/" + SluiceRoutes.AccountIpAllowlist, (HttpContext c, AccountHandlers h) => h.PutIpAllowlistAsync(c));
        app.MapGet("/" + SluiceRoutes.AccountMemberBoundary, (HttpContext c, MemberBoundaryHandlers h) => h.GetAsync(c));
        app.MapPut("/" + SluiceRoutes.AccountMemberBoundary, (HttpContext c, MemberBoundaryHandlers h) => h.PutAsync(c));
        app.MapGet("/" + SluiceRoutes.Audit, (HttpContext c, AccountHandlers h) => h.GetAuditAsync(c));
        app.MapGet("/" + SluiceRoutes.Keys, (HttpContext c, KeyHandlers h) => h.ListKeysAsync(c));
        app.MapPost("/" + SluiceRoutes.Keys, (HttpContext c, KeyHandlers h) => h.CreateKeyAsync(c));
        app.MapPatch("/" + SluiceRoutes.Key, (HttpContext c, string keyId, KeyHandlers h) => h.UpdateKeyAsync(c, keyId));
        app.MapDelete("/" + SluiceRoutes.Key, (HttpContext c, string keyId, KeyHandlers h) => h.RevokeKeyAsync(c, keyId));
        return app;
    }
}
