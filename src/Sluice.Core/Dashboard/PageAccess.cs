using Sluice.Accounts;

namespace Sluice.Dashboard;

/// <summary>Who a dashboard route is for.</summary>
public enum PageAudience
{
    /// <summary>Everyone, signed in or not: the sign-in pages, sign-out, the assets.</summary>
    Anyone,

    /// <summary>Any signed-in person, member of an account or not (the home page, accepting an invitation).</summary>
    SignedIn,

    /// <summary>A member of the route's <c>{accountId}</c>, through <see cref="MemberAuthenticator"/>: the account's
    /// state for <see cref="PageAccess.Purpose"/> and at least <see cref="PageAccess.MinimumRole"/>.</summary>
    Member,
}

/// <summary>
/// Who may use one dashboard route, declared once in <see cref="DashboardAccess"/>. The route's handler passes it to
/// <see cref="MemberRequests.BeginAsync(Microsoft.AspNetCore.Http.HttpContext, string, PageAccess)"/>, and the local
/// host attaches the same value to the route's endpoint, where the route × role matrix test reads it: a route mapped
/// without one fails that test.
/// </summary>
public sealed record PageAccess(PageAudience Audience, CallerPurpose Purpose, KeyRole MinimumRole, bool ChangesState)
{
    public static PageAccess Member(CallerPurpose purpose, KeyRole minimumRole, bool changesState) =>
        new(PageAudience.Member, purpose, minimumRole, changesState);
}

/// <summary>The access of every dashboard route (one entry per route, or per group of routes with the same rule).</summary>
public static class DashboardAccess
{
    /// <summary>Sign-in page, sign-in start and callback, sign-out, assets: the sign-in protocol guards them itself.</summary>
    public static readonly PageAccess Anyone = new(PageAudience.Anyone, CallerPurpose.ReadOwnData, KeyRole.Restricted, ChangesState: false);

    /// <summary>The home page: who you are, your accounts and invitations.</summary>
    public static readonly PageAccess Home = new(PageAudience.SignedIn, CallerPurpose.ReadOwnData, KeyRole.Restricted, ChangesState: false);

    /// <summary>Accepting an invitation: a signed-in person who is not yet a member.</summary>
    public static readonly PageAccess AcceptInvitation = new(PageAudience.SignedIn, CallerPurpose.Manage, KeyRole.Restricted, ChangesState: true);

    /// <summary>The account page: its state and your role, for every member.</summary>
    public static readonly PageAccess Account = PageAccess.Member(CallerPurpose.ReadOwnData, KeyRole.Restricted, changesState: false);

    /// <summary>The Team page: members, invitations, and the member boundary.</summary>
    public static readonly PageAccess Team = PageAccess.Member(CallerPurpose.ReadOwnData, RoleRules.ManagePrincipals, changesState: false);

    /// <summary>Inviting, changing a role, revoking an invitation.</summary>
    public static readonly PageAccess ManageTeam = PageAccess.Member(CallerPurpose.Manage, RoleRules.ManagePrincipals, changesState: true);

    /// <summary>Binding the account's members to a tenant or email domain (<see cref="MemberBoundary"/>).</summary>
    public static readonly PageAccess SetMemberBoundary = PageAccess.Member(CallerPurpose.Manage, RoleRules.ChangeMemberBoundary, changesState: true);

    /// <summary>Removing a member: any member may leave; removing someone else is checked by <see cref="MemberLifecycle"/>.</summary>
    public static readonly PageAccess RemoveMember = PageAccess.Member(CallerPurpose.Manage, KeyRole.Restricted, changesState: true);

    /// <summary>Settings → Policies, Requests, Data: reading the account's data and data settings.</summary>
    public static readonly PageAccess AccountData = PageAccess.Member(CallerPurpose.ReadOwnData, RoleRules.AccountData, changesState: false);

    /// <summary>Changing retention or data policy, erasing a stored request or all content.</summary>
    public static readonly PageAccess ChangeAccountData = PageAccess.Member(CallerPurpose.Manage, RoleRules.AccountData, changesState: true);

    /// <summary>Closing the account (typed confirmation): the Owner's alone.</summary>
    public static readonly PageAccess CloseAccount = PageAccess.Member(CallerPurpose.ReadOwnData, RoleRules.CloseAccount, changesState: true);

    /// <summary>The data export: Owner and Admins, also while a closed account awaits its purge.</summary>
    public static readonly PageAccess Export = PageAccess.Member(CallerPurpose.ReadOwnData, KeyRole.Admin, changesState: true);

    /// <summary>Usage (and its CSV): the same role as <c>GET /v1/usage</c>.</summary>
    public static readonly PageAccess Usage = PageAccess.Member(CallerPurpose.ReadOwnData, UsagePageHandlers.MinimumRole, changesState: false);

    /// <summary>The audit log: the same role as <c>GET /v1/audit</c>.</summary>
    public static readonly PageAccess Audit = PageAccess.Member(CallerPurpose.ReadOwnData, AuditPageHandlers.MinimumRole, changesState: false);

    /// <summary>The Keys list: the same role as <c>GET /v1/keys</c>.</summary>
    public static readonly PageAccess Keys = PageAccess.Member(CallerPurpose.ReadOwnData, RoleRules.ManagePrincipals, changesState: false);

    /// <summary>The page asking to confirm a revocation (it changes nothing, but only someone who may revoke sees it).</summary>
    public static readonly PageAccess ConfirmRevokeKey = PageAccess.Member(CallerPurpose.Manage, RoleRules.ManagePrincipals, changesState: false);

    /// <summary>Creating or revoking a key: the same role as <c>POST /v1/keys</c> and <c>DELETE /v1/keys/{id}</c>.</summary>
    public static readonly PageAccess ManageKeys = PageAccess.Member(CallerPurpose.Manage, RoleRules.ManagePrincipals, changesState: true);

    /// <summary>The Limits page: the same role as <c>GET /v1/account/limits</c>.</summary>
    public static readonly PageAccess Limits = PageAccess.Member(CallerPurpose.ReadOwnData, Sluice.FairUse.LimitHandlers.ManageRole, changesState: false);

    /// <summary>Changing a budget or rate limit: the same role as <c>PUT /v1/account/limits</c>.</summary>
    public static readonly PageAccess SetLimits = PageAccess.Member(CallerPurpose.Manage, Sluice.FairUse.LimitHandlers.ManageRole, changesState: true);
}
