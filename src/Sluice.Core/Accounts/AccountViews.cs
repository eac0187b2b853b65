namespace Sluice.Accounts;

/// <summary>An account as the API shows it. The operator sees all of it; the customer sees
/// <see cref="ForCustomer"/>, without the operator's note and legal hold.</summary>
public sealed record AccountView(
    string Id,
    string? Name,
    string Region,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SuspendedAt,
    string? SuspensionReason,
    string? SuspensionNote,
    DateTimeOffset? GraceEndsAt,
    DateTimeOffset? ExpiredAt,
    string? ExpiryReason,
    DateTimeOffset? PurgeAfter,
    DateTimeOffset? PurgeStartedAt,
    DateTimeOffset? PurgedAt,
    IReadOnlyDictionary<string, long>? PurgeCounts,
    LegalHoldView? LegalHold,
    RetentionView? Retention,
    DataPolicyView? DataPolicy,
    IReadOnlyList<string>? IpAllowlist)
{
    /// <summary>The full view; a purged account's is its tombstone's fields only (no settings, not even defaults).</summary>
    public static AccountView From(Account a, AccountOptions options)
    {
        var purged = a.State == AccountState.Purged;
        return new(
            a.Id, a.Name, a.Region, a.State.ToWire(), a.CreatedAt, a.SuspendedAt, a.SuspensionReason, a.SuspensionNote,
            a.GraceEndsAt(options), a.ExpiredAt, a.ExpiryReason, a.PurgeAfter(options), a.PurgeStartedAt, a.PurgedAt,
            a.PurgeCounts.Count > 0 ? a.PurgeCounts : null,
            a.LegalHold is { } h ? new LegalHoldView(h.Reason, h.Since) : null,
            purged ? null : RetentionView.From(a.Retention),
            a.DataPolicy is { } p && !purged ? DataPolicyView.From(p) : null,
            purged ? null : a.IpAllowlist);
    }

    /// <summary>What the account's own Owner and Admins see. A legal hold is not disclosed to the customer (holds are
    /// often placed for proceedings the operator may not reveal), nor is the operator's internal note.</summary>
    public static AccountView ForCustomer(Account a, AccountOptions options) =>
        From(a, options) with { SuspensionNote = null, LegalHold = null, PurgeStartedAt = null, PurgeCounts = null };
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

public sealed record KeyList(IReadOnlyList<KeyView> Data);

/// <summary><c>PATCH /v1/keys/{keyId}</c>: change a key's role, model allowlist or name; null leaves a field as it is.</summary>
public sealed record UpdateKeyRequest(string? Name, string? Role, IReadOnlyList<string>? AllowedModels);

/// <summary><c>POST /v1/account/close</c>: the account id again, so a stray call cannot close an account.</summary>
public sealed record CloseAccountRequest(string? Confirm);

/// <summary>Operator suspension: a reason from <see cref="SuspensionReasons"/> and an optional internal note.</summary>
public sealed record SuspendAccountRequest(string? Reason, string? Note);

/// <summary>Operator legal hold: <c>hold</c> true places it, false releases it; a reason is required either way.</summary>
public sealed record LegalHoldRequest(bool? Hold, string? Reason);

/// <summary><c>PUT /v1/account/ip-allowlist</c>. <c>force</c> accepts a list that excludes the caller's own address.</summary>
public sealed record IpAllowlistRequest(IReadOnlyList<string>? IpAllowlist, bool? Force);

/// <summary>The allowlist and the address this request came from as the gateway sees it (what the list is checked against).</summary>
public sealed record IpAllowlistView(IReadOnlyList<string> IpAllowlist, string? ClientIp);

/// <summary>An audit entry as the API shows it: <c>time</c> is when the action happened, or the first of <c>count</c>
/// identical ones within a window, and <c>last_time</c> the last of them (equal to <c>time</c> for a single action).</summary>
public sealed record AuditEntryView(DateTimeOffset Time, string Actor, string Action, string? Target, string? SourceIp, string? Details,
    int Count, DateTimeOffset LastTime)
{
    public static AuditEntryView From(AuditEntry e) => new(e.Time, e.Actor, e.Action, e.Target, e.SourceIp, e.Details, e.Count, e.LastTime ?? e.Time);
}

/// <summary>Audit entries newest first; <c>has_more</c> when the range holds more than the limit (narrow <c>to</c> to page).</summary>
public sealed record AuditList(IReadOnlyList<AuditEntryView> Data, bool HasMore);
