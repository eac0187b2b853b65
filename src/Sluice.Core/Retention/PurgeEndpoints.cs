using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Accounts;
using Sluice.Wire;

namespace Sluice.Retention;

/// <summary><c>POST /operator/purge</c>: run the purge now (operator secret), e.g. after shortening a period.</summary>
public sealed class PurgeHandlers(PurgeEngine engine, OperatorHandlers operators)
{
    public async Task<IResult> RunNowAsync(HttpContext context)
    {
        if (operators.Authorize(context) is { } denied)
        {
            return denied;
        }
        var result = await engine.RunAsync(context.RequestAborted);
        return TypedResults.Json(result, RetentionJson.Wire.PurgeRunResult);
    }
}

public static class PurgeEndpoints
{
    public static IEndpointRouteBuilder MapSluicePurge(this IEndpointRouteBuilder app)
    {
        app.MapPost("/" + SluiceRoutes.OperatorPurge, (HttpContext c, PurgeHandlers h) => h.RunNowAsync(c));
        return app;
    }
}
