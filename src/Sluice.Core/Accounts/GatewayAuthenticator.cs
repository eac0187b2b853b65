using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Sluice.Stamp;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// Turns a request's gateway key into a <see cref="Caller"/>, or into the OpenAI-style error that says why not.
/// Keys are looked up by hash and cached briefly, with their accounts, so the request path rarely touches storage.
/// Every check that fails for a known key is written to the account's audit log with the key's id, never the key.
/// Unknown keys are remembered for a while (bounded) and counted against their source address by
/// <see cref="FailedAuthThrottle"/>, which answers an address out of failures with 429 before any lookup.
/// </summary>
public sealed class GatewayAuthenticator(
    KeyStore keys,
    AccountStore accounts,
    AuditLog audit,
    IMemoryCache cache,
    FailedAuthThrottle throttle,
    IOptions<StampOptions> stamp,
    IOptions<AccountOptions> accountOptions,
    IOptions<ForwardedForOptions> forwardedFor,
    TimeProvider time) : IDisposable
{
    private static readonly TimeSpan s_failureAuditInterval = TimeSpan.FromMinutes(1);

    private readonly UnknownKeyCache _unknownKeys = new(accountOptions.Value.UnknownKeyCacheSize, accountOptions.Value.AuthCacheTtl, time);

    /// <summary>Authentication for the account-data endpoints: a key of the account, with at least the Admin role.
    /// Tenant isolation follows from it: every query these endpoints make starts from the caller's own account id.
    /// <paramref name="what"/> ends the 403's sentence "Only Owner and Admin keys can …".</summary>
    internal async Task<(Caller? Caller, ApiError? Error)> AuthenticateAdminAsync(HttpContext context, CallerPurpose purpose, string what)
    {
        var (caller, error) = await AuthenticateAsync(context, purpose);
        if (caller is null)
        {
            return (null, error);
        }
        return caller.IsAtLeast(RoleRules.AccountData)
            ? (caller, null)
            : (null, ApiError.Forbidden("insufficient_role", $"Only Owner and Admin keys can {what}."));
    }

    /// <summary>
    /// Authenticates the request's key for <paramref name="purpose"/>: the key must exist and be usable, its account must
    /// be in a state that allows the purpose, the client address must be on the account's allowlist, and the key's role
    /// must be at least <paramref name="minimumRole"/>.
    /// </summary>
    public async Task<(Caller? Caller, ApiError? Error)> AuthenticateAsync(HttpContext context, CallerPurpose purpose,
        KeyRole minimumRole = KeyRole.Restricted)
    {
        var ct = context.RequestAborted;
        var presented = ReadKey(context.Request);
        if (presented is null)
        {
            return (null, ApiError.MissingApiKey());
        }
        var clientIp = ClientAddress.Of(context, forwardedFor.Value);
        var region = GatewayKey.RegionOf(presented);
        if (region is null)
        {
            return (null, Failed(clientIp, "malformed_key"));
        }
        if (!string.Equals(region, stamp.Value.DataRegion, StringComparison.Ordinal))
        {
            return (null, ApiError.WrongRegion(region, stamp.Value.DataRegion));
        }

        var hash = GatewayKey.Hash(presented);
        FailedAuthThrottle.Attempt? attempt = null;
        ApiKey? key;
        Account? account;
        try
        {
            if (!cache.TryGetValue(KeyCacheKey(hash), out key))
            {
                // Not a key this instance knows to be good: it holds one of the address's failures until it proves good,
                // so an address out of failures gets no lookup at all.
                (attempt, var throttled) = await throttle.BeginAsync(clientIp, ct);
                if (attempt is null)
                {
                    return (null, throttled);
                }
                key = await FindKeyAsync(hash, ct);
            }
            account = key is null ? null : await FindAccountAsync(key.AccountId, ct);
            if (key is null || account is null || account.State == AccountState.Purged)
            {
                // A purged account's keys are unknown keys: nothing of the account, its audit partition included, may be
                // written again after the purge.
                if (attempt is null)
                {
                    return (null, Failed(clientIp, "unknown_key"));
                }
                attempt.Failed("unknown_key");
                return (null, ApiError.InvalidApiKey());
            }
        }
        finally
        {
            // A good key, or a lookup that failed on our side, gives the held failure back.
            attempt?.Dispose();
        }
        var now = time.GetUtcNow();
        if (!key.IsUsableAt(now))
        {
            var reason = key.RevokedAt is null ? "key_expired" : "key_revoked";
            await AuditFailureAsync(key, clientIp, reason);
            return (null, new ApiError(401, "invalid_request_error", reason,
                key.RevokedAt is null ? "This API key has expired." : "This API key has been revoked."));
        }
        if (!IpAllowlist.Allows(account.IpAllowlist, clientIp))
        {
            await AuditFailureAsync(key, clientIp, "ip_not_allowed");
            return (null, ApiError.Forbidden("ip_not_allowed",
                "Requests from this IP address are not allowed for this account (see its IP allowlist)."));
        }
        if (AccountAccess.StateRefusal(account, key.Role, purpose, now, accountOptions.Value) is { } refusal)
        {
            await AuditFailureAsync(key, clientIp, refusal.Code);
            return (null, refusal);
        }
        if (key.Role < minimumRole)
        {
            await AuditFailureAsync(key, clientIp, "insufficient_role");
            return (null, ApiError.Forbidden("insufficient_role",
                $"This endpoint needs a key with the {minimumRole.ToWire()} role or higher; this key is {key.Role.ToWire()}."));
        }
        return (new Caller(account, key, clientIp), null);
    }

    /// <summary>Records a refused request of a known key in the account's audit log: the key's id and the reason,
    /// never the key. One entry per key and reason per minute on each instance, so a client retrying in a loop
    /// cannot turn the audit log into a write amplifier.</summary>
    private async Task AuditFailureAsync(ApiKey key, System.Net.IPAddress? clientIp, string reason)
    {
        var dedupe = $"sluice:authfail:{key.Id}:{reason}";
        if (cache.TryGetValue(dedupe, out _))
        {
            return;
        }
        cache.Set(dedupe, true, s_failureAuditInterval);
        await audit.WriteAsync(key.AccountId, key.Id, "auth.failed", key.Id, clientIp, reason, CancellationToken.None);
    }

    /// <summary>Drops a cached key or account after it changed here (or was created: see <see cref="UnknownKeyCache"/>),
    /// so this instance sees the change at once.</summary>
    public void Forget(ApiKey key)
    {
        cache.Remove(KeyCacheKey(key.Hash));
        _unknownKeys.Remove(key.Hash);
    }

    public void Forget(string accountId) => cache.Remove(AccountCacheKey(accountId));

    private static string? ReadKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization[7..].Trim();
            return token.Length > 0 ? token : null;
        }
        // Azure OpenAI's SDKs send api-key; Anthropic's (and Claude Code) x-api-key.
        var apiKey = request.Headers["api-key"].ToString().Trim();
        if (apiKey.Length == 0)
        {
            apiKey = request.Headers["x-api-key"].ToString().Trim();
        }
        return apiKey.Length > 0 ? apiKey : null;
    }

    /// <summary>An unknown or malformed key: counted against the address (429 once it has no failures left).</summary>
    private ApiError Failed(System.Net.IPAddress? clientIp, string what)
    {
        if (throttle.Refusal(clientIp) is { } refusal)
        {
            return refusal;
        }
        throttle.Failed(clientIp, what);
        return ApiError.InvalidApiKey();
    }

    private async ValueTask<ApiKey?> FindKeyAsync(string hash, CancellationToken ct)
    {
        if (_unknownKeys.Contains(hash))
        {
            return null;
        }
        var key = await keys.FindByHashAsync(hash, ct);
        if (key is null)
        {
            _unknownKeys.Add(hash);
        }
        else
        {
            cache.Set(KeyCacheKey(hash), key, accountOptions.Value.AuthCacheTtl);
        }
        return key;
    }

    private async ValueTask<Account?> FindAccountAsync(string accountId, CancellationToken ct)
    {
        var cacheKey = AccountCacheKey(accountId);
        if (cache.TryGetValue(cacheKey, out Account? cached))
        {
            return cached;
        }
        var account = await accounts.GetAsync(accountId, ct);
        cache.Set(cacheKey, account, accountOptions.Value.AuthCacheTtl);
        return account;
    }

    private static string KeyCacheKey(string hash) => "sluice:key:" + hash;

    private static string AccountCacheKey(string accountId) => "sluice:account:" + accountId;

    public void Dispose() => _unknownKeys.Dispose();
}
