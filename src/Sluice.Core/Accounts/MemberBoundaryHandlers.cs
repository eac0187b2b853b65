using Microsoft.AspNetCore.Http;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary><c>GET</c>/<c>PUT /v1/account/member-boundary</c>: the account's Entra ID tenant and email domain binding
/// (<see cref="MemberBoundary"/>), for Owner and Admin keys.</summary>
public sealed class MemberBoundaryHandlers(GatewayAuthenticator authenticator, AccountLifecycle lifecycle)
{
    public async Task<IResult> GetAsync(HttpContext context)
    {
        return (await authenticator.AuthenticateAsync(context, CallerPurpose.ReadOwnData, RoleRules.ChangeMemberBoundary)).TryGet(out var caller, out var error)
            ? View(caller.Account)
            : error;
    }

    /// <summary>Replaces both parts: <c>{"tenant": "&lt;tenant id&gt;" | null, "email_domain": "example.com" | null}</c>.</summary>
    public async Task<IResult> PutAsync(HttpContext context)
    {
        if (!(await authenticator.AuthenticateAsync(context, CallerPurpose.Manage, RoleRules.ChangeMemberBoundary)).TryGet(out var caller, out var error))
        {
            return error;
        }
        if (!(await JsonBody.ReadAsync(context, AccountsJson.Wire.MemberBoundaryView)).TryGet(out var body, out var bodyError))
        {
            return bodyError;
        }
        return (await MemberBoundary.SetAsync(lifecycle, caller, body.Tenant, body.EmailDomain, context.RequestAborted)).TryGet(out var account, out var setError)
            ? View(account)
            : setError;
    }

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<MemberBoundaryView> View(Account account) =>
        TypedResults.Json(new MemberBoundaryView(account.MemberTenant, account.MemberEmailDomain), AccountsJson.Wire.MemberBoundaryView);
}

/// <summary>The member boundary on the wire; null (or absent) is no limit.</summary>
internal sealed record MemberBoundaryView(string? Tenant, string? EmailDomain);
