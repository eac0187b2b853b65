using Sluice.Retention;
using Sluice.Routing;

namespace Sluice.Accounts;

/// <summary>An account as the API shows it.</summary>
public sealed record AccountView(
    string Id,
    string? Name,
    string Region,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SuspendedAt,
    string? SuspensionReason,
    DateTimeOffset? ExpiredAt,
    string? ExpiryReason,
    DateTimeOffset? PurgeAfter,
    DateTimeOffset? PurgedAt,
    LegalHoldView? LegalHold,
    RetentionView Retention,
    DataPolicyView? DataPolicy,
    IReadOnlyList<string> IpAllowlist)
{
    public static AccountView From(Account a, AccountOptions options) => new(
        a.Id, a.Name, a.Region, a.State.ToWire(), a.CreatedAt, a.SuspendedAt, a.SuspensionReason, a.ExpiredAt, a.ExpiryReason,
        a.ExpiredAt?.AddDays(options.ExpiredRetentionDays), a.PurgedAt,
        a.LegalHold is { } h ? new LegalHoldView(h.Reason, h.Since) : null,
        RetentionView.From(a.Retention),
        a.DataPolicy is { } p ? DataPolicyView.From(p) : null,
        a.IpAllowlist);
}

public sealed record LegalHoldView(string Reason, DateTimeOffset Since);

public sealed record RetentionView(string ContentMode, int ContentRetentionDays, int UsageRetentionDays)
{
    public static RetentionView From(RetentionPolicy p) => new(p.ContentMode.ToWire(), p.ContentRetentionDays, p.UsageRetentionDays);
}

public sealed record DataPolicyView(bool InRegionOnly, bool ZeroRetentionOnly, bool AllowTraining)
{
    public static DataPolicyView From(DataPolicy p) => new(p.InRegionOnly, p.ZeroRetentionOnly, p.AllowTraining);
}

public sealed record AccountList(IReadOnlyList<AccountView> Data);

public sealed record CreateAccountRequest(string? Name, string? Region);

public sealed record CreatedAccount(AccountView Account, CreatedKey Key);

public sealed record CreateKeyRequest(string? Name, string? Role, DateTimeOffset? ExpiresAt, IReadOnlyList<string>? AllowedModels);

/// <summary>A new key with its secret: the only time the secret is ever shown.</summary>
public sealed record CreatedKey(string Id, string Key, string Role, string? Name, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, IReadOnlyList<string> AllowedModels);

/// <summary>A key as listings show it: never the secret, only its hint.</summary>
public sealed record KeyView(string Id, string Hint, string Role, string? Name, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt, IReadOnlyList<string> AllowedModels)
{
    public static KeyView From(ApiKey k) => new(k.Id, k.Hint, k.Role.ToWire(), k.Name, k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.AllowedModels);
}
