using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Wire;

namespace Sluice.Accounts;

public static class OperatorEndpoints
{
    public static IEndpointRouteBuilder MapSluiceOperator(this IEndpointRouteBuilder app)
    {
        app.MapPost("/" + SluiceRoutes.OperatorAccounts, (HttpContext c, OperatorHandlers h) => h.CreateAccountAsync(c));
        app.MapGet("/" + SluiceRoutes.OperatorAccounts, (HttpContext c, OperatorHandlers h) => h.ListAccountsAsync(c));
        app.MapGet("/" + SluiceRoutes.OperatorAccount, (HttpContext c, string accountId, OperatorHandlers h) => h.GetAccountAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.OperatorAccountKeys, (HttpContext c, string accountId, OperatorHandlers h) => h.CreateKeyAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.OperatorSuspend, (HttpContext c, string accountId, OperatorHandlers h) => h.SuspendAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.OperatorReinstate, (HttpContext c, string accountId, OperatorHandlers h) => h.ReinstateAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.OperatorReopen, (HttpContext c, string accountId, OperatorHandlers h) => h.ReopenAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.OperatorLegalHold, (HttpContext c, string accountId, OperatorHandlers h) => h.LegalHoldAsync(c, accountId));
        return app;
    }
}
