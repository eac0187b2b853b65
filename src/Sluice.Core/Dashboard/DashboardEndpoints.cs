using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.SignIn;
using Sluice.Wire;

namespace Sluice.Dashboard;

internal static class DashboardEndpoints
{
    /// <summary>Maps the dashboard and its sign-in for the local host (the Functions app has a function per route). Each
    /// route carries its <see cref="PageAccess"/>, the one its handler checks (the route × role matrix test reads it).</summary>
    public static IEndpointRouteBuilder MapSluiceDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + SluiceRoutes.Dashboard, (HttpContext c, DashboardHandlers h) => h.HomeAsync(c)).WithMetadata(DashboardAccess.Home);
        app.MapGet("/" + SluiceRoutes.DashboardAsset, (HttpContext c, string file) => DashboardHandlers.Asset(c, file)).WithMetadata(DashboardAccess.Anyone);
        app.MapGet("/" + SluiceRoutes.DashboardSignIn, (HttpContext c, SignInHandlers h) => h.SignInPageAsync(c)).WithMetadata(DashboardAccess.Anyone);
        app.MapPost("/" + SluiceRoutes.DashboardSignInStart, (HttpContext c, string provider, SignInHandlers h) => h.StartAsync(c, provider)).WithMetadata(DashboardAccess.Anyone);
        app.MapGet("/" + SluiceRoutes.DashboardSignInCallback, (HttpContext c, string provider, SignInHandlers h) => h.CallbackAsync(c, provider)).WithMetadata(DashboardAccess.Anyone);
        app.MapPost("/" + SluiceRoutes.DashboardSignOut, (HttpContext c, SignInHandlers h) => h.SignOutAsync(c)).WithMetadata(DashboardAccess.Anyone);
        app.MapGet("/" + SluiceRoutes.DashboardAccount, (HttpContext c, string accountId, TeamHandlers h) => h.AccountAsync(c, accountId)).WithMetadata(DashboardAccess.Account);
        app.MapGet("/" + SluiceRoutes.DashboardTeam, (HttpContext c, string accountId, TeamHandlers h) => h.TeamAsync(c, accountId)).WithMetadata(DashboardAccess.Team);
        app.MapPost("/" + SluiceRoutes.DashboardTeamInvite, (HttpContext c, string accountId, TeamHandlers h) => h.InviteAsync(c, accountId)).WithMetadata(DashboardAccess.ManageTeam);
        app.MapPost("/" + SluiceRoutes.DashboardTeamMemberRole, (HttpContext c, string accountId, string memberId, TeamHandlers h) => h.ChangeRoleAsync(c, accountId, memberId)).WithMetadata(DashboardAccess.ManageTeam);
        app.MapPost("/" + SluiceRoutes.DashboardTeamMemberRemove, (HttpContext c, string accountId, string memberId, TeamHandlers h) => h.RemoveAsync(c, accountId, memberId)).WithMetadata(DashboardAccess.RemoveMember);
        app.MapPost("/" + SluiceRoutes.DashboardTeamBoundary, (HttpContext c, string accountId, TeamHandlers h) => h.SetBoundaryAsync(c, accountId)).WithMetadata(DashboardAccess.SetMemberBoundary);
        app.MapPost("/" + SluiceRoutes.DashboardTeamInvitationRevoke, (HttpContext c, string accountId, string invitationId, TeamHandlers h) => h.RevokeInvitationAsync(c, accountId, invitationId)).WithMetadata(DashboardAccess.ManageTeam);
        app.MapPost("/" + SluiceRoutes.DashboardInvitationAccept, (HttpContext c, string accountId, string invitationId, TeamHandlers h) => h.AcceptAsync(c, accountId, invitationId)).WithMetadata(DashboardAccess.AcceptInvitation);
        app.MapPost("/" + SluiceRoutes.DashboardExport, (HttpContext c, string accountId, TeamHandlers h) => h.ExportAsync(c, accountId)).WithMetadata(DashboardAccess.Export);
        return app;
    }
}
