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
        app.MapGet("/" + SluiceRoutes.DashboardPolicies, (HttpContext c, string accountId, AccountDataHandlers h) => h.PoliciesAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardPoliciesRetention, (HttpContext c, string accountId, AccountDataHandlers h) => h.SaveRetentionAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardPoliciesDataPolicy, (HttpContext c, string accountId, AccountDataHandlers h) => h.SaveDataPolicyAsync(c, accountId));
        app.MapGet("/" + SluiceRoutes.DashboardRequests, (HttpContext c, string accountId, AccountDataHandlers h) => h.RequestsAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardRequestErase, (HttpContext c, string accountId, string requestId, AccountDataHandlers h) => h.EraseRequestAsync(c, accountId, requestId));
        app.MapGet("/" + SluiceRoutes.DashboardData, (HttpContext c, string accountId, AccountDataHandlers h) => h.DataAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardDataEraseContent, (HttpContext c, string accountId, AccountDataHandlers h) => h.EraseContentAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardDataClose, (HttpContext c, string accountId, AccountDataHandlers h) => h.CloseAsync(c, accountId));
        app.MapGet("/" + SluiceRoutes.DashboardUsage, (HttpContext c, string accountId, UsagePageHandlers h) => h.UsageAsync(c, accountId));
        app.MapGet("/" + SluiceRoutes.DashboardUsageCsv, (HttpContext c, string accountId, UsagePageHandlers h) => h.CsvAsync(c, accountId));
        app.MapGet("/" + SluiceRoutes.DashboardKeys, (HttpContext c, string accountId, KeyPageHandlers h) => h.KeysAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardKeys, (HttpContext c, string accountId, KeyPageHandlers h) => h.CreateAsync(c, accountId));
        app.MapGet("/" + SluiceRoutes.DashboardKeyRevoke, (HttpContext c, string accountId, string keyId, KeyPageHandlers h) => h.ConfirmRevokeAsync(c, accountId, keyId));
        app.MapPost("/" + SluiceRoutes.DashboardKeyRevoke, (HttpContext c, string accountId, string keyId, KeyPageHandlers h) => h.RevokeAsync(c, accountId, keyId));
        app.MapGet("/" + SluiceRoutes.DashboardAudit, (HttpContext c, string accountId, AuditPageHandlers h) => h.AuditAsync(c, accountId));
        app.MapGet("/" + SluiceRoutes.DashboardLimits, (HttpContext c, string accountId, LimitPageHandlers h) => h.PageAsync(c, accountId));
        app.MapPost("/" + SluiceRoutes.DashboardLimitsSet, (HttpContext c, string accountId, string subjectId, LimitPageHandlers h) => h.SetAsync(c, accountId, subjectId));
        return app;
    }
}
