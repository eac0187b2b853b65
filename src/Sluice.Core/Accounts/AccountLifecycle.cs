using System.Net;
using Microsoft.Extensions.Options;
using Sluice.Proxy;
using Sluice.Retention;

namespace Sluice.Accounts;

/// <summary>
/// Creates accounts and keys and moves accounts through their states. Every change is validated by
/// <see cref="AccountTransitions"/>, written with an optimistic (ETag) update, stamped with the injected clock,
/// written to the audit log, and dropped from this instance's authentication cache so it takes effect at once.
/// </summary>
public sealed class AccountLifecycle(
    AccountStore accounts,
    KeyStore keys,
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
    public async Task<(Account? Account, CreatedKey? OwnerKey, ApiError? Error)> CreateAsync(string? name, string? region,
        string actor, IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        var stampRegion = stamp.Value.DataRegion;
        if (region is not null && !string.Equals(region, stampRegion, StringComparison.Ordinal))
        {
            return (null, null, ApiError.InvalidRequest(
                $"This deployment serves the '{stampRegion}' data region only. Create '{region}' accounts with that region's deployment.", "region"));
        }
        if (name is { Length: > MaxNameLength })
        {
            return (null, null, ApiError.InvalidRequest($"'name' must be at most {MaxNameLength} characters.", "name"));
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
        var (key, secret) = await keys.CreateAsync(account.Id, stampRegion, KeyRole.Owner, "owner", now, null, [], cancellationToken);
        await audit.WriteAsync(account.Id, actor, "account.created", account.Id, sourceIp, null, cancellationToken);
        await audit.WriteAsync(account.Id, actor, "key.created", key.Id, sourceIp, "role=owner", cancellationToken);
        return (account, ToCreated(key, secret), null);
    }

    /// <summary>Mints a key; the caller must hold at least the role it grants.</summary>
    public async Task<(CreatedKey? Key, ApiError? Error)> CreateKeyAsync(Account account, CreateKeyRequest request, KeyRole? grantorRole,
        string actor, IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        var roleText = request.Role ?? "developer";
        if (!KeyRoleNames.TryParse(roleText, out var role))
        {
            return (null, ApiError.InvalidRequest("'role' must be one of owner, admin, developer, restricted.", "role"));
        }
        if (grantorRole is { } grantor && role > grantor)
        {
            return (null, ApiError.Forbidden("insufficient_role", "A key cannot grant a role higher than its own."));
        }
        var now = time.GetUtcNow();
        if (request.ExpiresAt is { } expires && expires <= now)
        {
            return (null, ApiError.InvalidRequest("'expires_at' must be in the future.", "expires_at"));
        }
        if (request.Name is { Length: > MaxNameLength })
        {
            return (null, ApiError.InvalidRequest($"'name' must be at most {MaxNameLength} characters.", "name"));
        }
        var models = request.AllowedModels?.Where(m => !string.IsNullOrWhiteSpace(m)).Distinct(StringComparer.Ordinal).ToArray() ?? [];
        if (role == KeyRole.Restricted && models.Length == 0)
        {
            return (null, ApiError.InvalidRequest("A restricted key needs 'allowed_models': the models it may call.", "allowed_models"));
        }
        var (key, secret) = await keys.CreateAsync(account.Id, account.Region, role, request.Name, now, request.ExpiresAt, models, cancellationToken);
        await audit.WriteAsync(account.Id, actor, "key.created", key.Id, sourceIp, $"role={role.ToWire()}", cancellationToken);
        return (ToCreated(key, secret), null);
    }

    public async Task<ApiKey> RevokeKeyAsync(ApiKey key, string actor, IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        var revoked = await keys.RevokeAsync(key, time.GetUtcNow(), cancellationToken);
        authenticator.Forget(key);
        await audit.WriteAsync(key.AccountId, actor, "key.revoked", key.Id, sourceIp, null, cancellationToken);
        return revoked;
    }

    /// <summary>Changes a key's role, model allowlist or name. The caller may neither touch a key above its own role
    /// nor grant one, and the account always keeps one usable Owner key.</summary>
    public async Task<(ApiKey? Key, ApiError? Error)> UpdateKeyAsync(ApiKey key, UpdateKeyRequest request, KeyRole callerRole,
        string actor, IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (key.RevokedAt is not null)
        {
            return (null, ApiError.Conflict("key_revoked", "This key is revoked; revoked keys cannot be changed."));
        }
        if (key.Role > callerRole)
        {
            return (null, KeyAboveCaller());
        }
        var role = key.Role;
        if (request.Role is { } roleText && !KeyRoleNames.TryParse(roleText, out role))
        {
            return (null, ApiError.InvalidRequest("'role' must be one of owner, admin, developer, restricted.", "role"));
        }
        if (role > callerRole)
        {
            return (null, ApiError.Forbidden("insufficient_role", "A key cannot grant a role higher than its own."));
        }
        if (request.Name is { Length: > MaxNameLength })
        {
            return (null, ApiError.InvalidRequest($"'name' must be at most {MaxNameLength} characters.", "name"));
        }
        var models = request.AllowedModels is { } requested
            ? requested.Where(m => !string.IsNullOrWhiteSpace(m)).Distinct(StringComparer.Ordinal).ToArray()
            : key.AllowedModels;
        if (role == KeyRole.Restricted && models.Count == 0)
        {
            return (null, ApiError.InvalidRequest("A restricted key needs 'allowed_models': the models it may call.", "allowed_models"));
        }
        if (key.Role == KeyRole.Owner && role != KeyRole.Owner && !await HasOtherOwnerAsync(key, now, cancellationToken))
        {
            return (null, LastOwner());
        }
        var updated = key with { Role = role, AllowedModels = models, Name = request.Name ?? key.Name };
        if (await keys.TryUpdateAsync(key, updated, cancellationToken) is null)
        {
            return (null, ApiError.Conflict("key_changed", "The key was changed or revoked while this request was applied; read it again and retry."));
        }
        authenticator.Forget(key);
        if (role != key.Role)
        {
            await audit.WriteAsync(key.AccountId, actor, "key.role_changed", key.Id, sourceIp, $"role={key.Role.ToWire()}->{role.ToWire()}", CancellationToken.None);
        }
        if (!models.SequenceEqual(key.AllowedModels, StringComparer.Ordinal))
        {
            await audit.WriteAsync(key.AccountId, actor, "key.models_changed", key.Id, sourceIp, $"allowed_models={models.Count}", CancellationToken.None);
        }
        return (updated, null);
    }

    /// <summary>Revokes a key on behalf of a customer: not a key above the caller's role, and not the last usable Owner key
    /// (an account without one could only be managed by the operator again).</summary>
    public async Task<(ApiKey? Key, ApiError? Error)> RevokeKeyAsync(ApiKey key, KeyRole callerRole, string actor, IPAddress? sourceIp,
        CancellationToken cancellationToken)
    {
        if (key.RevokedAt is not null)
        {
            return (null, ApiError.Conflict("key_already_revoked", "This key is already revoked."));
        }
        if (key.Role > callerRole)
        {
            return (null, KeyAboveCaller());
        }
        if (key.Role == KeyRole.Owner && !await HasOtherOwnerAsync(key, time.GetUtcNow(), cancellationToken))
        {
            return (null, LastOwner());
        }
        return (await RevokeKeyAsync(key, actor, sourceIp, cancellationToken), null);
    }

    /// <summary>Voluntary closure by the Owner: the account is expired at once, its keys stop working, and its data is
    /// kept for the expired-retention period (Owner and Admins can still export it, and the operator can reopen it).</summary>
    public Task<(Account? Account, ApiError? Error)> CloseAsync(string accountId, string actor, IPAddress? sourceIp, CancellationToken cancellationToken) =>
        TransitionAsync(accountId, (a, now) => AccountTransitions.Close(a, now, accountOptions.Value), "account.closed",
            a => $"purge_after={a.PurgeAfter(accountOptions.Value):O}", actor, sourceIp, now: null, cancellationToken);

    public Task<(Account? Account, ApiError? Error)> SuspendAsync(string accountId, string? reason, string? note, string actor,
        IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        if (!SuspensionReasons.IsKnown(reason))
        {
            return Task.FromResult<(Account?, ApiError?)>((null, ApiError.InvalidRequest(
                $"'reason' must be one of {SuspensionReasons.NonPayment}, {SuspensionReasons.TermsViolation}, {SuspensionReasons.Other}.", "reason")));
        }
        if (note is { Length: > AccountTransitions.MaxReasonLength })
        {
            return Task.FromResult<(Account?, ApiError?)>((null, ApiError.InvalidRequest(
                $"'note' must be at most {AccountTransitions.MaxReasonLength} characters.", "note")));
        }
        return TransitionAsync(accountId, (a, now) => AccountTransitions.Suspend(a, now, reason!, note), "account.suspended",
            a => $"reason={reason}; grace_ends_at={a.GraceEndsAt(accountOptions.Value):O}", actor, sourceIp, now: null, cancellationToken);
    }

    public Task<(Account? Account, ApiError? Error)> ReinstateAsync(string accountId, string actor, IPAddress? sourceIp, CancellationToken cancellationToken) =>
        TransitionAsync(accountId, (a, _) => AccountTransitions.Reinstate(a, accountOptions.Value), "account.reinstated",
            _ => null, actor, sourceIp, now: null, cancellationToken);

    public Task<(Account? Account, ApiError? Error)> ReopenAsync(string accountId, string actor, IPAddress? sourceIp, CancellationToken cancellationToken) =>
        TransitionAsync(accountId, (a, now) => AccountTransitions.Reopen(a, now, accountOptions.Value), "account.reopened",
            _ => null, actor, sourceIp, now: null, cancellationToken);

    public Task<(Account? Account, ApiError? Error)> SetLegalHoldAsync(string accountId, bool hold, string? reason, string actor,
        IPAddress? sourceIp, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > AccountTransitions.MaxReasonLength)
        {
            return Task.FromResult<(Account?, ApiError?)>((null, ApiError.InvalidRequest(
                $"'reason' is required (at most {AccountTransitions.MaxReasonLength} characters): the audit log records why.", "reason")));
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
        var (account, _) = await TransitionAsync(accountId,
            (a, at) => AccountTransitions.ExpireAfterGrace(a, at, accountOptions.Value) is { } next
                ? (next, null)
                : (null, ApiError.Conflict("not_due", "The account's grace period has not ended.")),
            "account.expired", a => $"reason={ExpiryReasons.SuspensionNotResolved}; purge_after={a.PurgeAfter(accountOptions.Value):O}",
            PurgeActor, null, now, cancellationToken);
        return account;
    }

    /// <summary>Replaces the account's IP allowlist (already parsed and checked by the caller).</summary>
    public Task<(Account? Account, ApiError? Error)> SetIpAllowlistAsync(string accountId, IReadOnlyList<string> allowlist, string actor,
        IPAddress? sourceIp, CancellationToken cancellationToken) =>
        TransitionAsync(accountId, (a, _) => a.State == AccountState.Active
                ? (a with { IpAllowlist = allowlist }, null)
                : (null, ApiError.Conflict($"account_{a.State.ToWire()}", "Settings can only be changed on an active account.")),
            "ip_allowlist.changed", a => $"entries={a.IpAllowlist.Count}: {string.Join(' ', a.IpAllowlist)}", actor, sourceIp, now: null, cancellationToken);

    /// <summary>The actor the purge's own transitions are recorded under.</summary>
    public const string PurgeActor = "purge";

    /// <summary>
    /// Applies one rule to the account as stored: read, validate, write if unchanged since the read (ETag), else read
    /// again and re-validate, so two operators acting at once each see the other's result (the second gets a 409, not
    /// a silent overwrite). The audit entry is written after the change is stored, never for a change that failed.
    /// </summary>
    private async Task<(Account? Account, ApiError? Error)> TransitionAsync(string accountId,
        Func<Account, DateTimeOffset, (Account? Next, ApiError? Error)> rule, string action, Func<Account, string?> details,
        string actor, IPAddress? sourceIp, DateTimeOffset? now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await accounts.GetAsync(accountId, cancellationToken);
            if (current is null)
            {
                return (null, ApiError.NotFound("The account"));
            }
            var (next, error) = rule(current, now ?? time.GetUtcNow());
            if (next is null)
            {
                return (null, error);
            }
            var written = await accounts.TryUpdateAsync(next, cancellationToken);
            if (written is null)
            {
                continue;
            }
            authenticator.Forget(accountId);
            await audit.WriteAsync(accountId, actor, action, accountId, sourceIp, details(written), CancellationToken.None);
            return (written, null);
        }
        return (null, ApiError.Conflict("concurrent_update", "The account kept changing while this change was applied; try again."));
    }

    private async Task<bool> HasOtherOwnerAsync(ApiKey key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await foreach (var other in keys.ListAsync(key.AccountId, cancellationToken))
        {
            if (other.Id != key.Id && other.Role == KeyRole.Owner && other.IsUsableAt(now))
            {
                return true;
            }
        }
        return false;
    }

    private static ApiError KeyAboveCaller() =>
        ApiError.Forbidden("insufficient_role", "This key has a higher role than the key making the request; only a key of that role or higher can change it.");

    private static ApiError LastOwner() => ApiError.Conflict("last_owner_key",
        "This is the account's last usable Owner key. Create another Owner key first: an account without one can no longer be closed or fully managed.");

    private static CreatedKey ToCreated(ApiKey key, string secret) =>
        new(key.Id, secret, key.Role.ToWire(), key.Name, key.CreatedAt, key.ExpiresAt, key.AllowedModels);
}
