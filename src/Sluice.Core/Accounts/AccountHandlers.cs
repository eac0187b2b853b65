using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// The customer's account API, authenticated by a gateway key of the account itself, so every object is the caller's
/// own by construction. Reads use <see cref="CallerPurpose.ReadOwnData"/> (still allowed while a closed account awaits
/// its purge); changes use <see cref="CallerPurpose.Manage"/> (active accounts only). Owner and Admin only; closing
/// is the Owner's alone.
/// </summary>
public sealed class AccountHandlers(
    GatewayAuthenticator authenticator,
    AccountLifecycle lifecycle,
    AuditLog audit,
    IOptions<AccountOptions> options,
    TimeProvider time)
{
    public const int MaxAllowlistEntries = 100;
    public const int DefaultAuditLimit = 500;
    public const int MaxAuditLimit = 5000;
    private static readonly TimeSpan s_defaultAuditRange = TimeSpan.FromDays(30);

    /// <summary><c>GET /v1/account</c>: status, dates (when a closed account is purged), settings.</summary>
    public async Task<IResult> GetAccountAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.ReadOwnData, KeyRole.Admin);
        return caller is null ? error! : TypedResults.Json(AccountView.ForCustomer(caller.Account, options.Value), AccountsJson.Wire.AccountView);
    }

    /// <summary><c>POST /v1/account/close</c> with <c>{"confirm":"&lt;account id&gt;"}</c>: the Owner closes the account.
    /// Authenticated as a read, so closing an already closed account answers 409 rather than 403.</summary>
    public async Task<IResult> CloseAccountAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.ReadOwnData, RoleRules.CloseAccount);
        if (caller is null)
        {
            return error!;
        }
        var (body, bodyError) = await JsonBody.ReadAsync(context, AccountsJson.Wire.CloseAccountRequest);
        if (body is null)
        {
            return bodyError!;
        }
        var (account, closeError) = await CloseAsync(caller, body.Confirm, context.RequestAborted);
        return account is null ? closeError! : TypedResults.Json(AccountView.ForCustomer(account, options.Value), AccountsJson.Wire.AccountView);
    }

    /// <summary>Closes the caller's account if <paramref name="confirm"/> is its id: the one closing rule, for the API
    /// and the dashboard alike. The caller is authenticated for <see cref="CallerPurpose.ReadOwnData"/> with
    /// <see cref="RoleRules.CloseAccount"/>.</summary>
    internal async Task<(Account? Account, ApiError? Error)> CloseAsync(Caller caller, string? confirm, CancellationToken cancellationToken)
    {
        if (!string.Equals(confirm, caller.Account.Id, StringComparison.Ordinal))
        {
            return (null, ApiError.InvalidRequest(
                $"The confirmation must be the account's id, {caller.Account.Id}; the account was not closed. Closing stops every key at once; the data can be exported for " +
                $"{options.Value.ExpiredRetentionDays} days and is then permanently deleted.", "confirm"));
        }
        return await lifecycle.CloseAsync(caller.Account.Id, caller.Actor, caller.ClientIp, cancellationToken);
    }

    /// <summary><c>GET /v1/account/ip-allowlist</c>: the list and the address this request is seen from.</summary>
    public async Task<IResult> GetIpAllowlistAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.ReadOwnData, KeyRole.Admin);
        return caller is null
            ? error!
            : TypedResults.Json(new IpAllowlistView(caller.Account.IpAllowlist, caller.ClientIp?.ToString()), AccountsJson.Wire.IpAllowlistView);
    }

    /// <summary>
    /// <c>PUT /v1/account/ip-allowlist</c>: replaces the list (IPv4/IPv6 addresses or CIDR ranges; empty allows every
    /// address). A list that would refuse the very address this request comes from is refused with 409 unless
    /// <c>force</c> is true: locking oneself out takes the operator to undo, so it must be deliberate.
    /// </summary>
    public async Task<IResult> PutIpAllowlistAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.Manage, KeyRole.Admin);
        if (caller is null)
        {
            return error!;
        }
        var (body, bodyError) = await JsonBody.ReadAsync(context, AccountsJson.Wire.IpAllowlistRequest);
        if (body is null)
        {
            return bodyError!;
        }
        if (body.IpAllowlist is not { } entries)
        {
            return ApiError.InvalidRequest("'ip_allowlist' is required: a list of IPv4/IPv6 addresses or CIDR ranges ([] allows every address).", "ip_allowlist");
        }
        if (entries.Count > MaxAllowlistEntries)
        {
            return ApiError.InvalidRequest($"'ip_allowlist' may hold at most {MaxAllowlistEntries} entries.", "ip_allowlist");
        }
        var (normalised, invalid) = IpAllowlist.Parse(entries);
        if (invalid.Count > 0)
        {
            var param = $"ip_allowlist[{invalid[0]}]";
            return ApiError.InvalidRequest(
                $"'{param}' is not an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.7, 203.0.113.0/24 or 2001:db8::/32).", param);
        }
        if (body.Force != true && !IpAllowlist.Allows(normalised, caller.ClientIp))
        {
            return ApiError.Conflict("ip_allowlist_excludes_caller",
                $"This list does not include the address this request comes from ({caller.ClientIp?.ToString() ?? "unknown"}), so it would lock this " +
                "client out. Add that address, or send \"force\": true if that is intended.");
        }
        var (account, updateError) = await lifecycle.SetIpAllowlistAsync(caller.Account.Id, normalised, caller.Actor, caller.ClientIp, context.RequestAborted);
        return account is null
            ? updateError!
            : TypedResults.Json(new IpAllowlistView(account.IpAllowlist, caller.ClientIp?.ToString()), AccountsJson.Wire.IpAllowlistView);
    }

    /// <summary><c>GET /v1/audit?from=&amp;to=&amp;limit=</c>: the account's audit entries in a time range, newest first.
    /// <c>from</c>/<c>to</c> take ISO 8601 instants or dates (a date as <c>to</c> includes that whole day); the default
    /// is the last 30 days.</summary>
    public async Task<IResult> GetAuditAsync(HttpContext context)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, CallerPurpose.ReadOwnData, KeyRole.Admin);
        if (caller is null)
        {
            return error!;
        }
        var query = context.Request.Query;
        var now = time.GetUtcNow();
        if (!QueryInstant.TryParse(query["from"], endOfDay: false, out var from))
        {
            return InvalidBound("from");
        }
        if (!QueryInstant.TryParse(query["to"], endOfDay: true, out var to))
        {
            return InvalidBound("to");
        }
        var until = to ?? now;
        var since = from ?? until - s_defaultAuditRange;
        if (since > until)
        {
            return ApiError.InvalidRequest("'from' must not be after 'to'.", "from");
        }
        var limit = DefaultAuditLimit;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxAuditLimit))
        {
            return ApiError.InvalidRequest($"'limit' must be a whole number from 1 to {MaxAuditLimit}.", "limit");
        }
        var entries = new List<AuditEntryView>();
        var more = false;
        await foreach (var entry in audit.QueryAsync(caller.Account.Id, since, until, context.RequestAborted))
        {
            if (entries.Count == limit)
            {
                more = true;
                break;
            }
            entries.Add(AuditEntryView.From(entry));
        }
        // Rows come newest window first; within a window, order by the latest action.
        return TypedResults.Json(new AuditList([.. entries.OrderByDescending(e => e.LastTime)], more), AccountsJson.Wire.AuditList);
    }

    private static ApiError InvalidBound(string param) =>
        ApiError.InvalidRequest($"'{param}' must be an ISO 8601 date (2026-01-31) or instant (2026-01-31T12:00:00Z).", param);
}
