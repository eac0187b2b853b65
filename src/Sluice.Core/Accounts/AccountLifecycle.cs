using System.Net;
using Microsoft.Extensions.Options;
using Sluice.Proxy;
using Sluice.Retention;

namespace Sluice.Accounts;

/// <summary>
/// Creates accounts and moves them through their states, each change validated, stamped with the injected clock
/// and written to the audit log.
/// </summary>
public sealed class AccountLifecycle(
    AccountStore accounts,
    KeyStore keys,
    AuditLog audit,
    GatewayAuthenticator authenticator,
    IOptions<StampOptions> stamp,
    IOptions<RetentionOptions> retention,
    TimeProvider time)
{
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

    private static CreatedKey ToCreated(ApiKey key, string secret) =>
        new(key.Id, secret, key.Role.ToWire(), key.Name, key.CreatedAt, key.ExpiresAt, key.AllowedModels);
}
