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
        app.MapGet("/" + SluiceRoutes.DashboardPolicies, (HttpContext c, string accountId, AccountDataHandlers h) => h.PoliciesAsync(c, accountId)).WithMetadata(DashboardAccess.AccountData);
        app.MapPost("/" + SluiceRoutes.DashboardPoliciesRetention, (HttpContext c, string accountId, AccountDataHandlers h) => h.SaveRetentionAsync(c, accountId)).WithMetadata(DashboardAccess.ChangeAccountData);
        app.MapPost("/" + SluiceRoutes.DashboardPoliciesDataPolicy, (HttpContext c, string accountId, AccountDataHandlers h) => h.SaveDataPolicyAsync(c, accountId)).WithMetadata(DashboardAccess.ChangeAccountData);
        app.MapGet("/" + SluiceRoutes.DashboardRequests, (HttpContext c, string accountId, AccountDataHandlers h) => h.RequestsAsync(c, accountId)).WithMetadata(DashboardAccess.AccountData);
        app.MapPost("/" + SluiceRoutes.DashboardRequestErase, (HttpContext c, string accountId, string requestId, AccountDataHandlers h) => h.EraseRequestAsync(c, accountId, requestId)).WithMetadata(DashboardAccess.ChangeAccountData);
        app.MapGet("/" + SluiceRoutes.DashboardData, (HttpContext c, string accountId, AccountDataHandlers h) => h.DataAsync(c, accountId)).WithMetadata(DashboardAccess.AccountData);
        app.MapPost("/" + SluiceRoutes.DashboardDataEraseContent, (HttpContext c, string accountId, AccountDataHandlers h) => h.EraseContentAsync(c, accountId)).WithMetadata(DashboardAccess.ChangeAccountData);
        app.MapPost("/" + SluiceRoutes.DashboardDataClose, (HttpContext c, string accountId, AccountDataHandlers h) => h.CloseAsync(c, accountId)).WithMetadata(DashboardAccess.CloseAccount);
        app.MapGet("/" + SluiceRoutes.DashboardUsage, (HttpContext c, string accountId, UsagePageHandlers h) => h.UsageAsync(c, accountId)).WithMetadata(DashboardAccess.Usage);
        app.MapGet("/" + SluiceRoutes.DashboardUsageCsv, (HttpContext c, string accountId, UsagePageHandlers h) => h.CsvAsync(c, accountId)).WithMetadata(DashboardAccess.Usage);
        app.MapGet("/" + SluiceRoutes.DashboardKeys, (HttpContext c, string accountId, KeyPageHandlers h) => h.KeysAsync(c, accountId)).WithMetadata(DashboardAccess.Keys);
        app.MapPost("/" + SluiceRoutes.DashboardKeys, (HttpContext c, string accountId, KeyPageHandlers h) => h.CreateAsync(c, accountId)).WithMetadata(DashboardAccess.ManageKeys);
        app.MapGet("/" + SluiceRoutes.DashboardKeyRevoke, (HttpContext c, string accountId, string keyId, KeyPageHandlers h) => h.ConfirmRevokeAsync(c, accountId, keyId)).WithMetadata(DashboardAccess.ConfirmRevokeKey);
        app.MapPost("/" + SluiceRoutes.DashboardKeyRevoke, (HttpContext c, string accountId, string keyId, KeyPageHandlers h) => h.RevokeAsync(c, accountId, keyId)).WithMetadata(DashboardAccess.ManageKeys);
        app.MapGet("/" + SluiceRoutes.DashboardAudit, (HttpContext c, string accountId, AuditPageHandlers h) => h.AuditAsync(c, accountId)).WithMetadata(DashboardAccess.Audit);
        app.MapGet("/" + SluiceRoutes.DashboardLimits, (HttpContext c, string accountId, LimitPageHandlers h) => h.PageAsync(c, accountId)).WithMetadata(DashboardAccess.Limits);
        app.MapPost("/" + SluiceRoutes.DashboardLimitsSet, (HttpContext c, string accountId, string subjectId, LimitPageHandlers h) => h.SetAsync(c, accountId, subjectId)).WithMetadata(DashboardAccess.SetLimits);
        return app;
    }
}
