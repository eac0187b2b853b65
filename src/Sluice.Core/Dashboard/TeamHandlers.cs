using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Wire;
using Sluice.Retention;
using Sluice.SignIn;

namespace Sluice.Dashboard;

/// <summary>
/// The account pages of the dashboard for members: the account (its state and your role), Team (members,
/// invitations, roles), accepting an invitation and the data export. Each acts as the signed-in member through
/// <see cref="MemberLifecycle"/> and <see cref="DataExport"/>, the rules the API's key callers go through.
/// </summary>
public sealed class TeamHandlers(MemberRequests requests, MemberStore members, MemberLifecycle lifecycle, AccountStore accounts,
    AccountLifecycle accountLifecycle, DataExport export, IAntiforgery antiforgery, IOptions<AccountOptions> accountOptions, IOptions<ForwardedForOptions> forwardedFor)
{
    /// <summary><c>GET /dashboard/accounts/{accountId}</c>.</summary>
    public async Task<IResult> AccountAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.Account)).TryGet(out var caller, out var person, out var refusal))
        {
            // A closed or suspended account still shows its member what state it is in, and nothing else.
            return refusal;
        }
        return DashboardPages.Account(context, caller, person, requests.Token(context), accountOptions.Value);
    }

    /// <summary><c>GET /dashboard/accounts/{accountId}/team</c>.</summary>
    public async Task<IResult> TeamAsync(HttpContext context, string accountId) => await TeamPageAsync(context, accountId, notice: null, error: null);

    private async Task<IResult> TeamPageAsync(HttpContext context, string accountId, string? notice, ApiError? error)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.Team)).TryGet(out var caller, out var person, out var refusal))
        {
            return refusal;
        }
        var list = new List<Member>();
        await foreach (var m in members.ListAsync(accountId, context.RequestAborted))
        {
            list.Add(m);
        }
        var invitations = new List<Invitation>();
        await foreach (var i in members.ListInvitationsAsync(accountId, context.RequestAborted))
        {
            invitations.Add(i);
        }
        return DashboardPages.Team(context, caller, person, [.. list.OrderBy(m => m.JoinedAt)], [.. invitations.OrderBy(i => i.CreatedAt)],
            requests.Token(context), notice, error);
    }

    /// <summary><c>POST /dashboard/accounts/{accountId}/team/invite</c> with <c>email</c> and <c>role</c>.</summary>
    public async Task<IResult> InviteAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ManageTeam)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var invited = await lifecycle.InviteAsync(caller, form["email"], form["role"], context.RequestAborted);
        return invited.Succeeded
            ? Results.Redirect(DashboardPages.TeamPath(accountId) + "?invited")
            : await TeamPageAsync(context, accountId, null, invited.Error);
    }

    /// <summary><c>POST …/team/members/{memberId}/role</c> with <c>role</c>.</summary>
    public async Task<IResult> ChangeRoleAsync(HttpContext context, string accountId, string memberId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ManageTeam)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        if (await FindMemberAsync(accountId, memberId, context.RequestAborted) is not { } target)
        {
            return DashboardPages.Refused(context, ApiError.NotFound("The member"));
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var changed = await lifecycle.ChangeRoleAsync(caller, target, form["role"], context.RequestAborted);
        return changed.Succeeded ? Results.Redirect(DashboardPages.TeamPath(accountId) + "?changed") : await TeamPageAsync(context, accountId, null, changed.Error);
    }

    /// <summary><c>POST …/team/members/{memberId}/remove</c>: removes a member (or lets a member leave).</summary>
    public async Task<IResult> RemoveAsync(HttpContext context, string accountId, string memberId)
    {
        // Leaving needs no role beyond membership; removing someone else is checked by the lifecycle.
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.RemoveMember)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        if (await FindMemberAsync(accountId, memberId, context.RequestAborted) is not { } target)
        {
            return DashboardPages.Refused(context, ApiError.NotFound("The member"));
        }
        if (await lifecycle.RemoveAsync(caller, target, context.RequestAborted) is { } error)
        {
            return caller.IsAtLeast(RoleRules.ManagePrincipals) ? await TeamPageAsync(context, accountId, null, error) : DashboardPages.Refused(context, error);
        }
        return Results.Redirect(target.Id == caller.Actor ? DashboardPages.HomePath : DashboardPages.TeamPath(accountId) + "?removed");
    }

    /// <summary><c>POST …/team/boundary</c> with <c>tenant</c> and <c>email_domain</c>: who may join (the API's rule).</summary>
    public async Task<IResult> SetBoundaryAsync(HttpContext context, string accountId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.SetMemberBoundary)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        return (await MemberBoundary.SetAsync(accountLifecycle, caller, form["tenant"], form["email_domain"], context.RequestAborted)).TryGet(out _, out var error)
            ? Results.Redirect(DashboardPages.TeamPath(accountId) + "?boundary")
            : await TeamPageAsync(context, accountId, null, error);
    }

    /// <summary><c>POST …/team/invitations/{invitationId}/revoke</c>.</summary>
    public async Task<IResult> RevokeInvitationAsync(HttpContext context, string accountId, string invitationId)
    {
        if (!(await requests.BeginAsync(context, accountId, DashboardAccess.ManageTeam)).TryGet(out var caller, out var refusal))
        {
            return refusal;
        }
        if (await members.GetInvitationAsync(accountId, invitationId, context.RequestAborted) is not { } invitation)
        {
            return DashboardPages.Refused(context, ApiError.NotFound("The invitation"));
        }
        var error = await lifecycle.RevokeInvitationAsync(caller, invitation, context.RequestAborted);
        return error is null ? Results.Redirect(DashboardPages.TeamPath(accountId) + "?revoked") : await TeamPageAsync(context, accountId, null, error);
    }

    /// <summary><c>POST /dashboard/accounts/{accountId}/invitations/{invitationId}/accept</c>: the signed-in person joins,
    /// if the invitation is to their verified email.</summary>
    public async Task<IResult> AcceptAsync(HttpContext context, string accountId, string invitationId)
    {
        if (await DashboardSession.AuthenticateAsync(context) is not { } person || !await DashboardForms.IsValidAsync(context, antiforgery))
        {
            return DashboardPages.FormRejected(context);
        }
        var account = await accounts.GetAsync(accountId, context.RequestAborted);
        if (account is null || account.State == AccountState.Purged)
        {
            return DashboardPages.Refused(context, ApiError.NotFound("The invitation"));
        }
        var accepted = await lifecycle.AcceptAsync(account, invitationId, MemberRequests.Identity(person),
            ClientAddress.Of(context, forwardedFor.Value),
            accountOptions.Value, context.RequestAborted);
        return accepted.Succeeded ? Results.Redirect(DashboardPages.AccountPath(accountId)) : DashboardPages.Refused(context, accepted.Error);
    }

    /// <summary><c>POST /dashboard/accounts/{accountId}/export</c>: the account's data as the API's NDJSON export.</summary>
    public async Task<IResult> ExportAsync(HttpContext context, string accountId)
    {
        return !(await requests.BeginAsync(context, accountId, DashboardAccess.Export)).TryGet(out var caller, out var refusal)
            ? refusal
            : await export.ExportAsync(context, caller);
    }

    private Task<Member?> FindMemberAsync(string accountId, string memberId, CancellationToken cancellationToken) =>
        memberId.StartsWith(MemberIds.Prefix, StringComparison.Ordinal)
            ? members.GetAsync(accountId, memberId[MemberIds.Prefix.Length..], cancellationToken)
            : Task.FromResult<Member?>(null);
}
