using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.SignIn;
using Sluice.Wire;

namespace Sluice.Dashboard;

internal static class DashboardEndpoints
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
        app.MapGet("/" + SluiceRoutes.DashboardAccount, (HttpContext c, string accountId, TeamHandlers h) => h.AccountAsync(c, accountId));
        app.MapGet("/" + SluiceRoutes.DashboardTeam, (HttpContext c, string accountId, TeamHandlers h) => h.TeamAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardTeamInvite, (HttpContext c, string accountId, TeamHandlers h) => h.InviteAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardTeamMemberRole, (HttpContext c, string accountId, string memberId, TeamHandlers h) => h.ChangeRoleAsync(c, accountId, memberId));
        app.MapPost("/" + SluiceRoutes.DashboardTeamMemberRemove, (HttpContext c, string accountId, string memberId, TeamHandlers h) => h.RemoveAsync(c, accountId, memberId));
        app.MapPost("/" + SluiceRoutes.DashboardTeamInvitationRevoke, (HttpContext c, string accountId, string invitationId, TeamHandlers h) => h.RevokeInvitationAsync(c, accountId, invitationId));
        app.MapPost("/" + SluiceRoutes.DashboardInvitationAccept, (HttpContext c, string accountId, string invitationId, TeamHandlers h) => h.AcceptAsync(c, accountId, invitationId));
        app.MapPost("/" + SluiceRoutes.DashboardExport, (HttpContext c, string accountId, TeamHandlers h) => h.ExportAsync(c, accountId));
        app.MapGet("/" + SluiceRoutes.DashboardLimits, (HttpContext c, string accountId, LimitPageHandlers h) => h.PageAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardLimitsSet, (HttpContext c, string accountId, string subjectId, LimitPageHandlers h) => h.SetAsync(c, accountId, subjectId));
        return app;
    }
}
