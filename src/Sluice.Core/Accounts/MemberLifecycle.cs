using System.Net;
using System.Net.Mail;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// Inviting, admitting, changing and removing members, by the same rules as keys: the role matrix
/// (<see cref="RoleRules"/>), "the account always keeps one Owner, key or member" (<see cref="AccountOwners"/> and the
/// witness protocol of <see cref="KeysTable.TrySubmitAsync"/>), conditional writes that re-decide on fresh reads, and
/// an audit entry for every change with the acting key or member as actor. The audit log records member and
/// invitation ids, never a name or an email.
/// </summary>
public sealed class MemberLifecycle(MemberStore members, AccountOwners owners, AuditLog audit, TimeProvider time)
{
    private const int MaxAttempts = 5;
    public const int MaxEmailLength = 254;
    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromDays(7);

    public async Task<Outcome<Invitation>> InviteAsync(Caller caller, string? email, string? roleText, CancellationToken cancellationToken)
    {
        if (!caller.IsAtLeast(RoleRules.ManagePrincipals))
        {
            return ApiError.Forbidden("insufficient_role", "Only Owners and Admins can invite members.");
        }
        email = email?.Trim();
        if (email is null or { Length: 0 or > MaxEmailLength } || !MailAddress.TryCreate(email, out var address) || address.Address != email)
        {
            return ApiError.InvalidRequest("'email' must be one email address.", "email");
        }
        if (!KeyRoleNames.TryParse(roleText ?? "developer", out var role))
        {
            return ApiError.InvalidRequest("'role' must be one of owner, admin, developer, restricted.", "role");
        }
        if (!RoleRules.MayGrant(caller.Role, role))
        {
            return ApiError.Forbidden("insufficient_role", "You cannot grant a role higher than your own.");
        }
        if (caller.Account.MemberEmailDomain is { } domain && !string.Equals(address.Host, domain, StringComparison.OrdinalIgnoreCase))
        {
            return ApiError.Forbidden("outside_member_boundary",
                $"{email} is outside this account's member boundary: it only admits people with an email at {domain}. An Owner or Admin can change that on the Team page.");
        }
        var now = time.GetUtcNow();
        var invitation = await members.AddInvitationAsync(new Invitation
        {
            Id = MemberIds.NewInvitationId(),
            AccountId = caller.Account.Id,
            Email = email,
            Role = role,
            InvitedBy = caller.Actor,
            CreatedAt = now,
            ExpiresAt = now + InvitationLifetime,
        }, cancellationToken);
        await audit.WriteAsync(caller.Account.Id, caller.Actor, "member.invited", invitation.Id, caller.ClientIp, $"role={role.ToWire()}", CancellationToken.None);
        return invitation;
    }

    /// <summary>Admits the signed-in person through an invitation to their verified email: the invitation is used once.</summary>
    public async Task<Outcome<Member>> AcceptAsync(Account account, string invitationId, PersonIdentity person, IPAddress? sourceIp,
        AccountOptions options, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var invitation = await members.GetInvitationAsync(account.Id, invitationId, cancellationToken);
        // Someone else's invitation is as good as none: the same answer, so it reveals nothing.
        if (invitation is null || invitation.ExpiresAt <= now || !person.EmailVerified
            || !string.Equals(person.Email?.Trim(), invitation.Email, StringComparison.OrdinalIgnoreCase))
        {
            return ApiError.NotFound("The invitation");
        }
        if (BoundaryRefusal(account, person) is { } outside)
        {
            return outside;
        }
        if (AccountAccess.StateRefusal(account, invitation.Role, CallerPurpose.Manage, now, options) is { } refusal)
        {
            return refusal;
        }
        var member = new Member
        {
            AccountId = account.Id,
            PersonId = person.Id,
            Issuer = person.Issuer,
            Subject = person.Subject,
            Name = person.Name,
            Email = person.Email,
            Role = invitation.Role,
            JoinedAt = now,
        };
        if (await members.TryAcceptAsync(invitation, member, cancellationToken) is not { } joined)
        {
            return await members.GetAsync(account.Id, person.Id, cancellationToken) is not null
                ? ApiError.Conflict("already_member", "You are already a member of this account.")
                : ApiError.NotFound("The invitation");
        }
        await audit.WriteAsync(account.Id, joined.Id, "member.joined", invitation.Id, sourceIp, $"role={joined.Role.ToWire()}", CancellationToken.None);
        return joined;
    }

    public async Task<Outcome<Member>> ChangeRoleAsync(Caller caller, Member target, string? roleText, CancellationToken cancellationToken)
    {
        if (!KeyRoleNames.TryParse(roleText, out var role))
        {
            return ApiError.InvalidRequest("'role' must be one of owner, admin, developer, restricted.", "role");
        }
        var current = target;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (Refuse(caller, current) is { } refused)
            {
                return refused;
            }
            if (!RoleRules.MayGrant(caller.Role, role))
            {
                return ApiError.Forbidden("insufficient_role", "You cannot grant a role higher than your own.");
            }
            if (!(await WitnessAsync(current, role == KeyRole.Owner, cancellationToken)).TryGet(out var witness, out var last))
            {
                return last;
            }
            if (await members.TryWriteAsync(current with { Role = role }, witness, cancellationToken) is { } written)
            {
                if (role != current.Role)
                {
                    await audit.WriteAsync(caller.Account.Id, caller.Actor, "member.role_changed", current.Id, caller.ClientIp,
                        $"role={current.Role.ToWire()}->{role.ToWire()}", CancellationToken.None);
                }
                return written;
            }
            if (await members.GetAsync(current.AccountId, current.PersonId, cancellationToken) is not { } fresh)
            {
                return ApiError.NotFound("The member");
            }
            current = fresh;
        }
        return ApiError.Conflict("concurrent_update", "The account's members kept changing while this change was applied; try again.");
    }

    public async Task<ApiError?> RemoveAsync(Caller caller, Member target, CancellationToken cancellationToken)
    {
        var current = target;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            // Anyone may leave; removing someone else needs the role to manage members.
            if (current.Id != caller.Actor && Refuse(caller, current) is { } refused)
            {
                return refused;
            }
            if (!(await WitnessAsync(current, staysOwner: false, cancellationToken)).TryGet(out var witness, out var last))
            {
                return last;
            }
            if (await members.TryRemoveAsync(current, witness, cancellationToken))
            {
                await audit.WriteAsync(caller.Account.Id, caller.Actor, "member.removed", current.Id, caller.ClientIp,
                    $"role={current.Role.ToWire()}", CancellationToken.None);
                return null;
            }
            if (await members.GetAsync(current.AccountId, current.PersonId, cancellationToken) is not { } fresh)
            {
                return ApiError.NotFound("The member");
            }
            current = fresh;
        }
        return ApiError.Conflict("concurrent_update", "The account's members kept changing while this change was applied; try again.");
    }

    public async Task<ApiError?> RevokeInvitationAsync(Caller caller, Invitation invitation, CancellationToken cancellationToken)
    {
        if (!caller.IsAtLeast(RoleRules.ManagePrincipals) || !RoleRules.MayGrant(caller.Role, invitation.Role))
        {
            return ApiError.Forbidden("insufficient_role", "Only Owners and Admins can revoke invitations, and none above their own role.");
        }
        if (!await members.TryDeleteInvitationAsync(invitation, cancellationToken))
        {
            return ApiError.NotFound("The invitation");
        }
        await audit.WriteAsync(caller.Account.Id, caller.Actor, "member.invitation_revoked", invitation.Id, caller.ClientIp, null, CancellationToken.None);
        return null;
    }

    /// <summary>Whether the person is inside the account's member boundary (tenant and email domain), if it has one.</summary>
    public static bool WithinBoundary(Account account, PersonIdentity person) => BoundaryRefusal(account, person) is null;

    /// <summary>Why the person is outside the account's member boundary, in words that say which part, or null.</summary>
    public static ApiError? BoundaryRefusal(Account account, PersonIdentity person)
    {
        if (account.MemberTenant is { } tenant && !string.Equals(person.TenantId, tenant, StringComparison.OrdinalIgnoreCase))
        {
            return ApiError.Forbidden("outside_member_boundary",
                $"This account only admits people of the Microsoft Entra ID tenant {tenant}, and you signed in from another directory.");
        }
        if (account.MemberEmailDomain is { } domain)
        {
            var at = person.Email?.LastIndexOf('@') ?? -1;
            if (!person.EmailVerified || at <= 0 || !string.Equals(person.Email![(at + 1)..], domain, StringComparison.OrdinalIgnoreCase))
            {
                return ApiError.Forbidden("outside_member_boundary", $"This account only admits people with a verified email at {domain}.");
            }
        }
        return null;
    }

    private static ApiError? Refuse(Caller caller, Member target) =>
        !caller.IsAtLeast(RoleRules.ManagePrincipals) ? ApiError.Forbidden("insufficient_role", "Only Owners and Admins can change members.")
        : !RoleRules.MayChange(caller.Role, target.Role) ? ApiError.Forbidden("insufficient_role", "This member has a higher role than yours.")
        : null;

    /// <summary>An Owner who stops being one names another Owner (key or member) as witness, or is refused.</summary>
    private async Task<Outcome<OwnerWitness?>> WitnessAsync(Member current, bool staysOwner, CancellationToken cancellationToken)
    {
        if (current.Role != KeyRole.Owner || staysOwner)
        {
            return (OwnerWitness?)null;
        }
        var witness = await owners.FindOtherAsync(current.AccountId, current.Id, time.GetUtcNow(), cancellationToken);
        return witness is null
            ? ApiError.Conflict("last_owner", "This is the account's last Owner. Make another member Owner, or create an Owner key, first.")
            : witness;
    }
}
