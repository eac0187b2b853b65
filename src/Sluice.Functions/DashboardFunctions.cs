using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Dashboard;
using Sluice.SignIn;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The dashboard and its sign-in. The worker has no authentication or anti-forgery middleware; the handlers
/// do both explicitly, as on the local host (the OpenID Connect callback runs the provider's remote handler itself).</summary>
public sealed class DashboardFunctions(DashboardHandlers dashboard, SignInHandlers signIn, TeamHandlers team)
{
    [Function(nameof(Dashboard))]
    public Task<IResult> Dashboard([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Dashboard)] HttpRequest request) =>
        dashboard.HomeAsync(request.HttpContext);

    [Function(nameof(DashboardAsset))]
    public static IResult DashboardAsset([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardAsset)] HttpRequest request, string file) =>
        DashboardHandlers.Asset(request.HttpContext, file);

    [Function(nameof(DashboardSignIn))]
    public Task<IResult> DashboardSignIn([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardSignIn)] HttpRequest request) =>
        signIn.SignInPageAsync(request.HttpContext);

    [Function(nameof(DashboardSignInStart))]
    public Task<IResult> DashboardSignInStart(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardSignInStart)] HttpRequest request, string provider) =>
        signIn.StartAsync(request.HttpContext, provider);

    [Function(nameof(DashboardSignInCallback))]
    public Task<IResult> DashboardSignInCallback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardSignInCallback)] HttpRequest request, string provider) =>
        signIn.CallbackAsync(request.HttpContext, provider);

    [Function(nameof(DashboardSignOut))]
    public Task<IResult> DashboardSignOut([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardSignOut)] HttpRequest request) =>
        signIn.SignOutAsync(request.HttpContext);

    [Function(nameof(DashboardAccount))]
    public Task<IResult> DashboardAccount(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardAccount)] HttpRequest request, string accountId) =>
        team.AccountAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardTeam))]
    public Task<IResult> DashboardTeam(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardTeam)] HttpRequest request, string accountId) =>
        team.TeamAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardTeamInvite))]
    public Task<IResult> DashboardTeamInvite(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardTeamInvite)] HttpRequest request, string accountId) =>
        team.InviteAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardTeamMemberRole))]
    public Task<IResult> DashboardTeamMemberRole(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardTeamMemberRole)] HttpRequest request, string accountId, string memberId) =>
        team.ChangeRoleAsync(request.HttpContext, accountId, memberId);

    [Function(nameof(DashboardTeamMemberRemove))]
    public Task<IResult> DashboardTeamMemberRemove(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardTeamMemberRemove)] HttpRequest request, string accountId, string memberId) =>
        team.RemoveAsync(request.HttpContext, accountId, memberId);

    [Function(nameof(DashboardTeamBoundary))]
    public Task<IResult> DashboardTeamBoundary(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardTeamBoundary)] HttpRequest request, string accountId) =>
        team.SetBoundaryAsync(request.HttpContext, accountId);

    [Function(nameof(DashboardTeamInvitationRevoke))]
    public Task<IResult> DashboardTeamInvitationRevoke(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardTeamInvitationRevoke)] HttpRequest request, string accountId, string invitationId) =>
        team.RevokeInvitationAsync(request.HttpContext, accountId, invitationId);

    [Function(nameof(DashboardInvitationAccept))]
    public Task<IResult> DashboardInvitationAccept(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardInvitationAccept)] HttpRequest request, string accountId, string invitationId) =>
        team.AcceptAsync(request.HttpContext, accountId, invitationId);

    [Function(nameof(DashboardExport))]
    public Task<IResult> DashboardExport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardExport)] HttpRequest request, string accountId) =>
        team.ExportAsync(request.HttpContext, accountId);
}
