using System.Net;
using Microsoft.Extensions.Options;
using Sluice.Stamp;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// Creates accounts and keys and moves accounts through their states. Every change is validated by
/// <see cref="AccountTransitions"/>, written with an optimistic (ETag) update, stamped with the injected clock,
/// written to the audit log, and dropped from this instance's authentication cache so it takes effect at once.
/// </summary>
public sealed class AccountLifecycle(
    AccountStore accounts,
    KeyStore keys,
    AccountOwners owners,
    AuditLog audit,
    GatewayAuthenticator authenticator,
    IOptions<StampOptions> stamp,
    IOptions<RetentionOptions> retention,
    IOptions<AccountOptions> accountOptions,
    TimeProvider time)
{
    /// <summary>Re-reads and re-validates this many times when another writer changed the account in between.</summary>
    private const int MaxAttempts = 5;

    public const int MaxNameLength = 200;

    /// <summary>Creates an account of this stamp's region with its first (Owner) key.</summary>
    public async Task<Outcome<NewAccount>> CreateAsync(string? name, string? region,
        string actor, IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        var stampRegion = stamp.Value.DataRegion;
        if (region is not null && !string.Equals(region, stampRegion, StringComparison.Ordinal))
        {
            return ApiError.InvalidRequest(
                $"This deployment serves the '{stampRegion}' data region only. Create '{region}' accounts with that region's deployment.", "region");
        }
        if (name is { Length: > MaxNameLength })
        {
            return ApiError.InvalidRequest($"'name' must be at most {MaxNameLength} characters.", "name");
        }
        var now = time.GetUtcNow();
        var account = await accounts.CreateAsync(new Account
        {
            Id = AccountStore.NewId(),
            Name = name,
            Region = stampRegion,
            State = AccountState.Active,
            CreatedAt = now,
            Retention = retention.Value.DefaultPolicy(),
        }, cancellationToken);
        var (key, secret) = await keys.CreateAsync(account.Id, stampRegion, KeyRole.Owner, "owner", now, null, [], null, cancellationToken);
        authenticator.Forget(key);
        await audit.WriteAsync(account.Id, actor, "account.created", account.Id, sourceIp, null, cancellationToken);
        await audit.WriteAsync(account.Id, actor, "key.created", key.Id, sourceIp, "role=owner", cancellationToken);
        return new NewAccount(account, ToCreated(key, secret));
    }

    /// <summary>Mints a key; the caller must hold at least the role it grants.</summary>
    public async Task<Outcome<CreatedKey>> CreateKeyAsync(Account account, CreateKeyRequest request, KeyRole? grantorRole,
        string actor, IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        var roleText = request.Role ?? "developer";
        if (!KeyRoleNames.TryParse(roleText, out var role))
        {
            return ApiError.InvalidRequest("'role' must be one of owner, admin, developer, restricted.", "role");
        }
        if (grantorRole is { } grantor && !RoleRules.MayGrant(grantor, role))
        {
            return ApiError.Forbidden("insufficient_role", "A key cannot grant a role higher than its own.");
        }
        var now = time.GetUtcNow();
        if (request.ExpiresAt is { } expires && expires <= now)
        {
            return ApiError.InvalidRequest("'expires_at' must be in the future.", "expires_at");
        }
        if (request.Name is { Length: > MaxNameLength })
        {
            return ApiError.InvalidRequest($"'name' must be at most {MaxNameLength} characters.", "name");
        }
        var models = request.AllowedModels?.Where(m => !string.IsNullOrWhiteSpace(m)).Distinct(StringComparer.Ordinal).ToArray() ?? [];
        if (role == KeyRole.Restricted && models.Length == 0)
        {
            return ApiError.InvalidRequest("A restricted key needs 'allowed_models': the models it may call.", "allowed_models");
        }
        // A member acting (the dashboard) owns the key it makes: its calls count against that member's limits too.
        var member = actor.StartsWith(MemberIds.Prefix, StringComparison.Ordinal) ? actor : null;
        var (key, secret) = await keys.CreateAsync(account.Id, account.Region, role, request.Name, now, request.ExpiresAt, models, member, cancellationToken);
        authenticator.Forget(key);
        await audit.WriteAsync(account.Id, actor, "key.created", key.Id, sourceIp, $"role={role.ToWire()}", cancellationToken);
        return ToCreated(key, secret);
    }

    /// <summary>Changes a key's role, model allowlist or name. The caller may neither touch a key above its own role
    /// nor grant one, and the account always keeps one usable Owner key. The change is decided on the key as the caller
    /// read it (<paramref name="key"/>): if someone else changed it meanwhile, the answer is 409 <c>key_changed</c>.</summary>
    public async Task<Outcome<ApiKey>> UpdateKeyAsync(ApiKey key, UpdateKeyRequest request, KeyRole callerRole,
        string actor, IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        var requestedRole = (KeyRole?)null;
        if (request.Role is { } roleText)
        {
            if (!KeyRoleNames.TryParse(roleText, out var parsed))
            {
                return ApiError.InvalidRequest("'role' must be one of owner, admin, developer, restricted.", "role");
            }
            requestedRole = parsed;
        }
        if (request.Name is { Length: > MaxNameLength })
        {
            return ApiError.InvalidRequest($"'name' must be at most {MaxNameLength} characters.", "name");
        }
        var current = key;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (current.RevokedAt is not null)
            {
                return ApiError.Conflict("key_revoked", "This key is revoked; revoked keys cannot be changed.");
            }
            if (!RoleRules.MayChange(callerRole, current.Role))
            {
                return KeyAboveCaller();
            }
            var role = requestedRole ?? current.Role;
            if (!RoleRules.MayGrant(callerRole, role))
            {
                return ApiError.Forbidden("insufficient_role", "A key cannot grant a role higher than its own.");
            }
            var models = request.AllowedModels is { } requested
                ? requested.Where(m => !string.IsNullOrWhiteSpace(m)).Distinct(StringComparer.Ordinal).ToArray()
                : current.AllowedModels;
            if (role == KeyRole.Restricted && models.Count == 0)
            {
                return ApiError.InvalidRequest("A restricted key needs 'allowed_models': the models it may call.", "allowed_models");
            }
            var write = await WriteKeyAsync(current, current with { Role = role, AllowedModels = models, Name = request.Name ?? current.Name },
                time.GetUtcNow(), cancellationToken);
            if (write?.Error is { } error)
            {
                return error;
            }
            if (write?.Value is { } written)
            {
                authenticator.Forget(written);
                if (role != current.Role)
                {
                    await audit.WriteAsync(key.AccountId, actor, "key.role_changed", key.Id, sourceIp, $"role={current.Role.ToWire()}->{role.ToWire()}", CancellationToken.None);
                }
                if (!models.SequenceEqual(current.AllowedModels, StringComparer.Ordinal))
                {
                    await audit.WriteAsync(key.AccountId, actor, "key.models_changed", key.Id, sourceIp, $"allowed_models={models.Count}", CancellationToken.None);
                }
                return written;
            }
            // A condition failed. If the key itself changed, the caller decided on a stale view; if only the Owner
            // key that vouched for the change moved on, decide again on fresh reads.
            var fresh = await keys.GetAsync(key.AccountId, key.Id, cancellationToken);
            if (fresh is null)
            {
                return ApiError.NotFound("The key");
            }
            if (!SameContent(fresh, current))
            {
                return ApiError.Conflict("key_changed", "The key was changed or revoked while this request was applied; read it again and retry.");
            }
            current = fresh;
        }
        return ApiError.Conflict("concurrent_update", "The account's keys kept changing while this change was applied; try again.");
    }

    /// <summary>Revokes a key on behalf of a customer: not a key above the caller's role, and not the last usable Owner key
    /// (an account without one could only be managed by the operator again). Of any number of concurrent revocations of
    /// one key exactly one succeeds; the others find it revoked (409 <c>key_already_revoked</c>).</summary>
    public async Task<Outcome<ApiKey>> RevokeKeyAsync(ApiKey key, KeyRole callerRole, string actor, IPAddress? sourceIp,
        CancellationToken cancellationToken)
    {
        var current = key;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (current.RevokedAt is not null)
            {
                return ApiError.Conflict("key_already_revoked", "This key is already revoked.");
            }
            if (!RoleRules.MayChange(callerRole, current.Role))
            {
                return KeyAboveCaller();
            }
            var now = time.GetUtcNow();
            var write = await WriteKeyAsync(current, current with { RevokedAt = now }, now, cancellationToken);
            if (write?.Error is { } error)
            {
                return error;
            }
            if (write?.Value is { } written)
            {
                authenticator.Forget(written);
                await audit.WriteAsync(key.AccountId, actor, "key.revoked", key.Id, sourceIp, null, CancellationToken.None);
                return written;
            }
            // Lost a race: a revocation wins over any other change, so decide again on the key as it is now.
            if (await keys.GetAsync(key.AccountId, key.Id, cancellationToken) is not { } fresh)
            {
                return ApiError.NotFound("The key");
            }
            current = fresh;
        }
        return ApiError.Conflict("concurrent_update", "The account's keys kept changing while this change was applied; try again.");
    }

    /// <summary>
    /// The one way a key's record is changed, and where "the account always keeps a usable Owner" is enforced.
    /// <para>
    /// A change that takes a usable Owner key away (revoking or demoting it) names a witness: another key of the account
    /// that is a usable Owner at the moment of the decision. The key and the witness are written in one transaction,
    /// each conditional on the version read (If-Match); the witness is rewritten unchanged, so its version moves on.
    /// Why that suffices: if the transaction commits, the witness was not changed between the read and the commit, so
    /// it is still an Owner and not revoked, and the account still has a usable Owner afterwards. Two callers taking
    /// Owners away at once each rewrite the record they rely on or the one they change, whichever commits second fails
    /// its condition, re-reads and decides again (and finds no witness if none is left: 409 <c>last_owner_key</c>).
    /// Adding Owners never needs a witness. Time alone can still end an Owner key's life (its expiry); that is the
    /// customer's own setting, not a race.
    /// </para>
    /// <para>
    /// Members (people) are principals of the account in the same partition with the same role field: a member with
    /// the Owner role is one more candidate witness (<see cref="AccountOwners"/>), and demoting or removing one names a
    /// witness exactly as a key does (<see cref="MemberLifecycle"/>).
    /// </para>
    /// Returns null when a condition failed (someone else wrote first): the caller reads again and decides again.
    /// </summary>
    private async Task<Outcome<ApiKey>?> WriteKeyAsync(ApiKey current, ApiKey updated, DateTimeOffset now, CancellationToken cancellationToken)
    {
        OwnerWitness? witness = null;
        if (AccountOwners.IsUsableOwner(current, now) && !AccountOwners.IsUsableOwner(updated, now))
        {
            witness = await owners.FindOtherAsync(current.AccountId, current.Id, now, cancellationToken);
            if (witness is null)
            {
                return LastOwner();
            }
        }
        var written = await keys.TryWriteWitnessedAsync(updated, witness, cancellationToken);
        if (written is null)
        {
            return null;
        }
        return written;
    }

    /// <summary>Whether two reads of a key hold the same settings (versions differ when the key only served as a witness).</summary>
    private static bool SameContent(ApiKey a, ApiKey b) =>
        a.Role == b.Role && a.RevokedAt == b.RevokedAt && a.ExpiresAt == b.ExpiresAt && a.Name == b.Name
        && a.AllowedModels.SequenceEqual(b.AllowedModels, StringComparer.Ordinal);

    /// <summary>Voluntary closure by the Owner: the account is expired at once, its keys stop working, and its data is
    /// kept for the expired-retention period (Owner and Admins can still export it, and the operator can reopen it).</summary>
    public Task<Outcome<Account>> CloseAsync(string accountId, string actor, IPAddress? sourceIp, CancellationToken cancellationToken) =>
        TransitionAsync(accountId, (a, now) => AccountTransitions.Close(a, now, accountOptions.Value), "account.closed",
            a => $"purge_after={a.PurgeAfter(accountOptions.Value):O}", actor, sourceIp, now: null, cancellationToken);

    public Task<Outcome<Account>> SuspendAsync(string accountId, string? reason, string? note, string actor,
        IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        if (!SuspensionReasons.IsKnown(reason))
        {
            return Task.FromResult<Outcome<Account>>(ApiError.InvalidRequest(
                $"'reason' must be one of {SuspensionReasons.NonPayment}, {SuspensionReasons.TermsViolation}, {SuspensionReasons.Other}.", "reason"));
        }
        if (note is { Length: > AccountTransitions.MaxReasonLength })
        {
            return Task.FromResult<Outcome<Account>>(ApiError.InvalidRequest(
                $"'note' must be at most {AccountTransitions.MaxReasonLength} characters.", "note"));
        }
        return TransitionAsync(accountId, (a, now) => AccountTransitions.Suspend(a, now, reason!, note), "account.suspended",
            a => $"reason={reason}; grace_ends_at={a.GraceEndsAt(accountOptions.Value):O}", actor, sourceIp, now: null, cancellationToken);
    }

    public Task<Outcome<Account>> ReinstateAsync(string accountId, string actor, IPAddress? sourceIp, CancellationToken cancellationToken) =>
        TransitionAsync(accountId, (a, _) => AccountTransitions.Reinstate(a, accountOptions.Value), "account.reinstated",
            _ => null, actor, sourceIp, now: null, cancellationToken);

    public Task<Outcome<Account>> ReopenAsync(string accountId, string actor, IPAddress? sourceIp, CancellationToken cancellationToken) =>
        TransitionAsync(accountId, (a, now) => AccountTransitions.Reopen(a, now, accountOptions.Value), "account.reopened",
            _ => null, actor, sourceIp, now: null, cancellationToken);

    public Task<Outcome<Account>> SetLegalHoldAsync(string accountId, bool hold, string? reason, string actor,
        IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > AccountTransitions.MaxReasonLength)
        {
            return Task.FromResult<Outcome<Account>>(ApiError.InvalidRequest(
                $"'reason' is required (at most {AccountTransitions.MaxReasonLength} characters): the audit log records why.", "reason"));
        }
        // The reason goes to the audit log (operator-facing); the customer's account view never shows holds.
        return hold
            ? TransitionAsync(accountId, (a, now) => AccountTransitions.PlaceLegalHold(a, now, reason), "legal_hold.placed",
                _ => "reason=" + reason, actor, sourceIp, now: null, cancellationToken)
            : TransitionAsync(accountId, (a, _) => AccountTransitions.ReleaseLegalHold(a), "legal_hold.released",
                _ => "reason=" + reason, actor, sourceIp, now: null, cancellationToken);
    }

    /// <summary>Closes a suspended account whose grace period has ended, at the purge run's instant; null when it is not due
    /// (reinstated meanwhile, or not yet).</summary>
    internal async Task<Account?> ExpireAfterGraceAsync(string accountId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expired = await TransitionAsync(accountId,
            (a, at) => AccountTransitions.ExpireAfterGrace(a, at, accountOptions.Value) is { } next
                ? next
                : ApiError.Conflict("not_due", "The account's grace period has not ended."),
            "account.expired", a => $"reason={ExpiryReasons.SuspensionNotResolved}; purge_after={a.PurgeAfter(accountOptions.Value):O}",
            PurgeActor, null, now, cancellationToken);
        return expired.Value;
    }

    /// <summary>Replaces the account's IP allowlist (already parsed and checked by the caller).</summary>
    public Task<Outcome<Account>> SetIpAllowlistAsync(string accountId, IReadOnlyList<string> allowlist, string actor,
        IPAddress? sourceIp, CancellationToken cancellationToken) =>
        TransitionAsync(accountId, (a, _) => a.State == AccountState.Active
                ? a with { IpAllowlist = allowlist }
                : ApiError.Conflict($"account_{a.State.ToWire()}", "Settings can only be changed on an active account."),
            "ip_allowlist.changed", a => $"entries={a.IpAllowlist.Count}: {string.Join(' ', a.IpAllowlist)}", actor, sourceIp, now: null, cancellationToken);

    /// <summary>Binds the account's members to one Entra ID tenant and/or email domain (null clears), checked by
    /// <see cref="MemberLifecycle"/> at invitation and acceptance.</summary>
    public Task<Outcome<Account>> SetMemberBoundaryAsync(string accountId, string? tenant, string? emailDomain, string actor,
        IPAddress? sourceIp, CancellationToken cancellationToken) =>
        TransitionAsync(accountId, (a, _) => a.State == AccountState.Active
                ? a with { MemberTenant = tenant, MemberEmailDomain = emailDomain }
                : ApiError.Conflict($"account_{a.State.ToWire()}", "Settings can only be changed on an active account."),
            "member_boundary.changed", a => $"tenant={a.MemberTenant}; email_domain={a.MemberEmailDomain}", actor, sourceIp, now: null, cancellationToken);

    /// <summary>The actor the purge's own transitions are recorded under.</summary>
    public const string PurgeActor = "purge";

    /// <summary>
    /// Applies one rule to the account as stored: read, validate, write if unchanged since the read (ETag), else read
    /// again and re-validate, so two operators acting at once each see the other's result (the second gets a 409, not
    /// a silent overwrite). The audit entry is written after the change is stored, never for a change that failed.
    /// </summary>
    private async Task<Outcome<Account>> TransitionAsync(string accountId,
        Func<Account, DateTimeOffset, Outcome<Account>> rule, string action, Func<Account, string?> details,
        string actor, IPAddress? sourceIp, DateTimeOffset? now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await accounts.GetAsync(accountId, cancellationToken);
            if (current is null)
            {
                return ApiError.NotFound("The account");
            }
            if (!rule(current, now ?? time.GetUtcNow()).TryGet(out var next, out var error))
            {
                return error;
            }
            var written = await accounts.TryUpdateAsync(next, cancellationToken);
            if (written is null)
            {
                continue;
            }
            authenticator.Forget(accountId);
            await audit.WriteAsync(accountId, actor, action, accountId, sourceIp, details(written), CancellationToken.None);
            return written;
        }
        return ApiError.Conflict("concurrent_update", "The account kept changing while this change was applied; try again.");
    }

    private static ApiError KeyAboveCaller() =>
        ApiError.Forbidden("insufficient_role", "This key has a higher role than the key making the request; only a key of that role or higher can change it.");

    private static ApiError LastOwner() => ApiError.Conflict("last_owner_key",
        "This is the account's last usable Owner key and no member is an Owner. Create another Owner key or make a member Owner first: an account without an Owner can no longer be closed or fully managed.");

    private static CreatedKey ToCreated(ApiKey key, string secret) =>
        new(key.Id, secret, key.Role.ToWire(), key.Name, key.CreatedAt, key.ExpiresAt, key.AllowedModels);
}
