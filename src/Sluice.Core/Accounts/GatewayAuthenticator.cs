using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Proxy;

namespace Sluice.Accounts;

/// <summary>
/// Turns a request's gateway key into a <see cref="Caller"/>, or into the OpenAI-style error that says why not.
/// Keys are looked up by hash and cached briefly, with their accounts, so the request path rarely touches storage.
/// Every check that fails for a known key is written to the account's audit log with the key's id, never the key.
/// </summary>
public sealed partial class GatewayAuthenticator(
    KeyStore keys,
    AccountStore accounts,
    AuditLog audit,
    IMemoryCache cache,
    IOptions<StampOptions> stamp,
    IOptions<AccountOptions> accountOptions,
    IOptions<ProxyOptions> proxyOptions,
    TimeProvider time,
    ILogger<GatewayAuthenticator> logger)
{
    private static readonly TimeSpan s_unknownKeyTtl = TimeSpan.FromSeconds(5);

    public async Task<(Caller? Caller, ApiError? Error)> AuthenticateAsync(HttpContext context, CallerPurpose purpose)
    {
        var ct = context.RequestAborted;
        var presented = ReadKey(context.Request);
        if (presented is null)
        {
            return (null, ApiError.MissingApiKey());
        }
        var region = GatewayKey.RegionOf(presented);
        if (region is null)
        {
            return (null, ApiError.InvalidApiKey());
        }
        if (!string.Equals(region, stamp.Value.DataRegion, StringComparison.Ordinal))
        {
            return (null, ApiError.WrongRegion(region, stamp.Value.DataRegion));
        }

        var key = await FindKeyAsync(GatewayKey.Hash(presented), ct);
        if (key is null)
        {
            Log.UnknownKey(logger);
            return (null, ApiError.InvalidApiKey());
        }
        var clientIp = ClientAddress.Of(context, proxyOptions.Value);
        var now = time.GetUtcNow();
        if (!key.IsUsableAt(now))
        {
            var reason = key.RevokedAt is null ? "key_expired" : "key_revoked";
            await audit.WriteAsync(key.AccountId, key.Id, "auth.failed", key.Id, clientIp, reason, CancellationToken.None);
            return (null, new ApiError(401, "invalid_request_error", reason,
                key.RevokedAt is null ? "This API key has expired." : "This API key has been revoked."));
        }

        var account = await FindAccountAsync(key.AccountId, ct);
        if (account is null || account.State == AccountState.Purged)
        {
            return (null, ApiError.InvalidApiKey());
        }
        if (!IpAllowlist.Allows(account.IpAllowlist, clientIp))
        {
            await audit.WriteAsync(account.Id, key.Id, "auth.failed", key.Id, clientIp, "ip_not_allowed", CancellationToken.None);
            return (null, ApiError.Forbidden("ip_not_allowed",
                "Requests from this IP address are not allowed for this account (see its IP allowlist)."));
        }
        switch (account.State)
        {
            case AccountState.Suspended:
                return (null, ApiError.Forbidden("account_suspended",
                    "This account is suspended and its data is inaccessible until the operator reinstates it. Contact the operator to resolve the suspension."));
            case AccountState.Expired when purpose != CallerPurpose.ReadOwnData || key.Role < KeyRole.Admin:
                return (null, ApiError.Forbidden("account_closed",
                    "This account is closed. Its data is kept until the end of the expired-retention period and can still be exported by its Owner or an Admin."));
        }
        return (new Caller(account, key, clientIp), null);
    }

    /// <summary>Drops a cached key or account after it changed here, so this instance sees the change at once.</summary>
    public void Forget(ApiKey key) => cache.Remove(KeyCacheKey(key.Hash));

    public void Forget(string accountId) => cache.Remove(AccountCacheKey(accountId));

    private static string? ReadKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization[7..].Trim();
            return token.Length > 0 ? token : null;
        }
        var apiKey = request.Headers["api-key"].ToString().Trim();
        return apiKey.Length > 0 ? apiKey : null;
    }

    private async ValueTask<ApiKey?> FindKeyAsync(string hash, CancellationToken ct)
    {
        var cacheKey = KeyCacheKey(hash);
        if (cache.TryGetValue(cacheKey, out ApiKey? cached))
        {
            return cached;
        }
        var key = await keys.FindByHashAsync(hash, ct);
        cache.Set(cacheKey, key, key is null ? s_unknownKeyTtl : accountOptions.Value.AuthCacheTtl);
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

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "A request presented an unknown gateway key.")]
        public static partial void UnknownKey(ILogger logger);
    }
}
