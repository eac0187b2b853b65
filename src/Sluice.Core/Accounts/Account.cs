using System.Collections.Immutable;
using Azure;

namespace Sluice.Accounts;

/// <summary>One customer account of this stamp, as stored in the accounts table.</summary>
public sealed record Account
{
    public required string Id { get; init; }

    /// <summary>Display name; removed when the account is purged (the tombstone keeps no personal data).</summary>
    public string? Name { get; init; }

    public required string Region { get; init; }
    public required AccountState State { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? SuspendedAt { get; init; }

    /// <summary>Why the operator suspended it: one of <see cref="SuspensionReasons"/>; shown to the customer.</summary>
    public string? SuspensionReason { get; init; }

    /// <summary>The operator's free-text note on a suspension; operator-only, removed on reinstatement and purge.</summary>
    public string? SuspensionNote { get; init; }

    /// <summary>When the account entered <see cref="AccountState.Expired"/>; the expired-retention clock starts here.</summary>
    public DateTimeOffset? ExpiredAt { get; init; }

    /// <summary>Why it expired: <c>closed_by_owner</c> or <c>suspension_not_resolved</c>.</summary>
    public string? ExpiryReason { get; init; }

    /// <summary>When the purge of this account began; set once, so a purge resumed by a later run is recognised.</summary>
    public DateTimeOffset? PurgeStartedAt { get; init; }

    public DateTimeOffset? PurgedAt { get; init; }

    /// <summary>What the purge has deleted so far, by kind (<c>usage_rows</c>, <c>keys</c>, …), carried across runs so the
    /// tombstone and the purge's audit entry state the totals even when the purge took several runs.</summary>
    public IReadOnlyDictionary<string, long> PurgeCounts { get; init; } = ImmutableDictionary<string, long>.Empty;

    /// <summary>Set while a legal hold blocks every purge of this account.</summary>
    public LegalHold? LegalHold { get; init; }

    public required RetentionPolicy Retention { get; init; }

    /// <summary>The account's own upstream data policy; null means the deployment default.</summary>
    public DataPolicy? DataPolicy { get; init; }

    /// <summary>CIDR ranges the account's keys may be used from; empty means anywhere.</summary>
    public IReadOnlyList<string> IpAllowlist { get; init; } = [];

    /// <summary>When set, only people of this Entra ID tenant (<c>tid</c>) can join the account.</summary>
    public string? MemberTenant { get; init; }

    /// <summary>When set, only emails of this domain can be invited, and only people whose verified email is of it can join.</summary>
    public string? MemberEmailDomain { get; init; }

    /// <summary>The stored version, for optimistic updates.</summary>
    public ETag ETag { get; init; }

    /// <summary>The instant a suspension's grace period ends (null unless suspended).</summary>
    public DateTimeOffset? GraceEndsAt(AccountOptions options) =>
        State == AccountState.Suspended ? SuspendedAt?.AddDays(options.SuspensionGraceDays) : null;

    /// <summary>The instant the expired-retention period ends and the purge may delete everything (null unless expired).</summary>
    public DateTimeOffset? PurgeAfter(AccountOptions options) =>
        State == AccountState.Expired ? ExpiredAt?.AddDays(options.ExpiredRetentionDays) : null;
}

public sealed record LegalHold(string Reason, DateTimeOffset Since);
