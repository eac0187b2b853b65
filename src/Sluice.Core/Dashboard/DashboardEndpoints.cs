using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.SignIn;
using Sluice.Wire;

namespace Sluice.Dashboard;

public static class DashboardEndpoints
{
    /// <summary>Maps the dashboard and its sign-in for the local host (the Functions app has a function per route).</summary>
    public static IEndpointRouteBuilder MapSluiceDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + SluiceRoutes.Dashboard, (HttpContext c, DashboardHandlers h) => h.HomeAsync(c));
        app.MapGet("/" + SluiceRoutes.DashboardAsset, (HttpContext c, string file) => DashboardHandlers.Asset(c, file));
        app.MapGet("/" + SluiceRoutes.DashboardSignIn, (HttpContext c, SignInHandlers h) => h.SignInPageAsync(c));
        app.MapPost("/" + SluiceRoutes.DashboardSignInStart, (HttpContext c, string provider, SignInHandlers h) => h.StartAsync(c, provider));
        app.MapGet("/" + SluiceRoutes.DashboardSignInCallback, (HttpContext c, string provider, SignInHandlers h) => h.CallbackAsync(c, provider));
        app.MapPost("/" + SluiceRoutes.DashboardSignOut, (HttpContext c, SignInHandlers h) => h.SignOutAsync(c));
        return app;
    }
}
