using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>What an identity provider vouched for about a person (a validated ID token), as accounts need it.</summary>
public sealed record PersonIdentity(string Issuer, string Subject, string? Email, bool EmailVerified, string? Name, string? TenantId)
{
    public string Id => PersonId.Of(Issuer, Subject);
}

/// <summary>
/// Turns a signed-in person and the account they chose into a <see cref="Caller"/> acting as their membership, with
/// the same checks a key gets (<see cref="GatewayAuthenticator"/>): the account's IP allowlist, its state for the
/// purpose (<see cref="AccountAccess"/>) and a minimum role. Someone who is not a member gets 404 (the account is not
/// theirs to know about).
/// </summary>
public sealed class MemberAuthenticator(MemberStore members, AccountStore accounts, IOptions<AccountOptions> accountOptions,
    IOptions<ForwardedForOptions> forwardedFor, TimeProvider time)
{
    public async Task<Outcome<Caller>> AuthenticateAsync(HttpContext context, PersonIdentity person, string accountId,
        CallerPurpose purpose, KeyRole minimumRole)
    {
        var ct = context.RequestAborted;
        var member = await members.GetAsync(accountId, person.Id, ct);
        var account = member is null ? null : await accounts.GetAsync(accountId, ct);
        if (member is null || account is null || account.State == AccountState.Purged)
        {
            return ApiError.NotFound("The account");
        }
        var clientIp = ClientAddress.Of(context, forwardedFor.Value);
        if (!IpAllowlist.Allows(account.IpAllowlist, clientIp))
        {
            return ApiError.Forbidden("ip_not_allowed", "Requests from this IP address are not allowed for this account (see its IP allowlist).");
        }
        if (AccountAccess.StateRefusal(account, member.Role, purpose, time.GetUtcNow(), accountOptions.Value) is { } refusal)
        {
            return refusal;
        }
        if (member.Role < minimumRole)
        {
            return ApiError.Forbidden("insufficient_role",
                $"This needs the {minimumRole.ToWire()} role or higher; your role in this account is {member.Role.ToWire()}.");
        }
        return new Caller(account, member, clientIp);
    }
}
