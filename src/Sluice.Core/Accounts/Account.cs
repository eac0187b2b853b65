using Azure;
using Sluice.Retention;
using Sluice.Routing;

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
    public string? SuspensionReason { get; init; }

    /// <summary>When the account entered <see cref="AccountState.Expired"/>; the expired-retention clock starts here.</summary>
    public DateTimeOffset? ExpiredAt { get; init; }

    /// <summary>Why it expired: <c>closed_by_owner</c> or <c>suspension_not_resolved</c>.</summary>
    public string? ExpiryReason { get; init; }

    public DateTimeOffset? PurgedAt { get; init; }

    /// <summary>Set while a legal hold blocks every purge of this account.</summary>
    public LegalHold? LegalHold { get; init; }

    public required RetentionPolicy Retention { get; init; }

    /// <summary>The account's own upstream data policy; null means the deployment default.</summary>
    public DataPolicy? DataPolicy { get; init; }

    /// <summary>CIDR ranges the account's keys may be used from; empty means anywhere.</summary>
    public IReadOnlyList<string> IpAllowlist { get; init; } = [];

    /// <summary>The stored version, for optimistic updates.</summary>
    public ETag ETag { get; init; }
}

public sealed record LegalHold(string Reason, DateTimeOffset Since);
