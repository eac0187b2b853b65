using Microsoft.AspNetCore.Routing;
using Sluice.Accounts;
using Sluice.Dashboard;
using Sluice.FairUse;
using Sluice.Health;
using Sluice.Proxy;
using Sluice.Responses;
using Sluice.Retention;
using Sluice.Routing;
using Sluice.Surfaces;
using Sluice.Wire;

namespace Sluice;

public static class SluiceEndpoints
{
    /// <summary>Every Sluice route, for the local host (the host also applies <see cref="RequestIdHeader.UseSluiceRequestIds"/>).</summary>
    public static IEndpointRouteBuilder MapSluice(this IEndpointRouteBuilder app)
    {
        app.MapSluiceHealth();
        app.MapSluiceSurfaces();
        app.MapSluiceProxy();
        app.MapSluiceResponses();
        app.MapSluiceOperator();
        app.MapSluiceAccounts();
        app.MapSluicePurge();
        app.MapSluiceDataPolicy();
        app.MapSluiceRetention();
        app.MapSluiceLimits();
        app.MapSluiceDashboard();
        app.MapSluiceUnknownUrl();
        return app;
    }
}
