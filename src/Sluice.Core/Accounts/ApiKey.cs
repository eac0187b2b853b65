using Azure;

namespace Sluice.Accounts;

/// <summary>A gateway key's stored record. The key itself is never stored: only its SHA-256 hash, as the lookup key.</summary>
public sealed record ApiKey
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required KeyRole Role { get; init; }
    public string? Name { get; init; }

    /// <summary>What a listing shows of the key: region prefix and last four characters, e.g. <c>sk-sluice-us-…x7Qa</c>.</summary>
    public required string Hint { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>For Restricted keys: the only models the key may call. Empty means every model.</summary>
    public IReadOnlyList<string> AllowedModels { get; init; } = [];

    /// <summary>The member who created the key (from the dashboard), if a member did: the key's calls count against that
    /// member's spend budgets and rate limits too. Null for keys made with another key or by the operator.</summary>
    public string? CreatedByMember { get; init; }

    internal string Hash { get; init; } = "";

    /// <summary>The stored version of the key's record, for conditional writes.</summary>
    public ETag ETag { get; init; }

    public bool IsUsableAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);

    public bool AllowsModel(string model) => AllowedModels.Count == 0 || AllowedModels.Contains(model, StringComparer.Ordinal);
}
