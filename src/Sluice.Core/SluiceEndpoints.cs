using Microsoft.AspNetCore.Routing;
using Sluice.Accounts;
using Sluice.Health;
using Sluice.HttpConventions;
using Sluice.Proxy;
using Sluice.Responses;
using Sluice.Retention;
using Sluice.Routing;
using Sluice.Surfaces;

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
        app.MapSluiceUnknownUrl();
        return app;
    }
}
