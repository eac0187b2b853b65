using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Retention;

public static class RetentionEndpoints
{
    /// <summary>The customer's data-rights routes for the local host: retention settings, erasure, stored requests,
    /// export and usage. Each handler authenticates and checks the role itself, as the Functions adapter needs.</summary>
    public static IEndpointRouteBuilder MapSluiceRetention(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + SluiceRoutes.AccountRetention, (HttpContext c, RetentionHandlers h) => h.GetAsync(c));
        app.MapPut("/" + SluiceRoutes.AccountRetention, (HttpContext c, RetentionHandlers h) => h.PutAsync(c));
        app.MapDelete("/" + SluiceRoutes.AccountContent, (HttpContext c, RetentionHandlers h) => h.EraseContentAsync(c));
        app.MapGet("/" + SluiceRoutes.AccountExport, (HttpContext c, DataExport h) => h.ExportAsync(c));
        app.MapGet("/" + SluiceRoutes.StoredRequest, (HttpContext c, string requestId, StoredRequestHandlers h) => h.GetAsync(c, requestId));
        app.MapDelete("/" + SluiceRoutes.StoredRequest, (HttpContext c, string requestId, StoredRequestHandlers h) => h.DeleteAsync(c, requestId));
        app.MapGet("/" + SluiceRoutes.Usage, (HttpContext c, UsageHandler h) => h.GetAsync(c));
        return app;
    }
}
