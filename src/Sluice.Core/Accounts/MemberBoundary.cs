using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// The account's member boundary: at most one Entra ID tenant and one email domain, outside of which nobody can be
/// invited (<see cref="MemberLifecycle.InviteAsync"/>) or join (<see cref="MemberLifecycle.WithinBoundary"/>). One rule
/// for changing it, whoever asks: the API's key callers (<see cref="MemberBoundaryHandlers"/>) and members on the
/// dashboard's Team page alike, audited by <see cref="AccountLifecycle.SetMemberBoundaryAsync"/>.
/// </summary>
public static class MemberBoundary
{
    public const int MaxDomainLength = 253;

    /// <summary>Sets both parts (empty clears one). Owners and Admins only; active accounts only.</summary>
    public static async Task<Outcome<Account>> SetAsync(AccountLifecycle lifecycle, Caller caller, string? tenant, string? emailDomain,
        CancellationToken cancellationToken)
    {
        if (!caller.IsAtLeast(RoleRules.ChangeMemberBoundary))
        {
            return ApiError.Forbidden("insufficient_role", "Only Owners and Admins can change who may join the account.");
        }
        tenant = string.IsNullOrWhiteSpace(tenant) ? null : tenant.Trim().ToLowerInvariant();
        emailDomain = string.IsNullOrWhiteSpace(emailDomain) ? null : emailDomain.Trim().ToLowerInvariant();
        if (tenant is not null && !Guid.TryParseExact(tenant, "D", out _))
        {
            return ApiError.InvalidRequest(
                "'tenant' must be a Microsoft Entra ID tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47), or empty for any tenant.", "tenant");
        }
        if (emailDomain is not null && !IsDomain(emailDomain))
        {
            return ApiError.InvalidRequest("'email_domain' must be a domain name such as example.com (no @, no scheme), or empty for any domain.",
                "email_domain");
        }
        return await lifecycle.SetMemberBoundaryAsync(caller.Account.Id, tenant, emailDomain, caller.Actor, caller.ClientIp, cancellationToken);
    }

    private static bool IsDomain(string value) =>
        value.Length <= MaxDomainLength && value.Contains('.', StringComparison.Ordinal) && Uri.CheckHostName(value) == UriHostNameType.Dns;
}
