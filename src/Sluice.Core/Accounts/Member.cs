using System.Security.Cryptography;
using System.Text;
using Azure;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// A person who belongs to an account: identified by their identity provider's issuer and subject together (the same
/// email at two providers is two people), with the name and email their ID token carried when they joined, and one
/// role from the same <see cref="KeyRole"/> model as keys, checked by the same rules.
/// </summary>
public sealed record Member
{
    public required string AccountId { get; init; }

    /// <summary>The person's id (<see cref="PersonId.Of"/>): the same in every account they belong to.</summary>
    public required string PersonId { get; init; }

    public required string Issuer { get; init; }
    public required string Subject { get; init; }
    public string? Name { get; init; }
    public string? Email { get; init; }
    public required KeyRole Role { get; init; }
    public required DateTimeOffset JoinedAt { get; init; }

    /// <summary>The stored version of the member's record, for conditional writes.</summary>
    public ETag ETag { get; init; }

    /// <summary>The actor the audit log records for this member's actions, and the member's RowKey in the account's
    /// partition of the keys table (beside the keys: see <see cref="KeyStore"/>).</summary>
    public string Id => MemberIds.Prefix + PersonId;

    public string DisplayName => Name ?? Email ?? Subject;
}

/// <summary>An invitation to join an account: accepted by signing in with a verified email equal to <see cref="Email"/>.</summary>
public sealed record Invitation
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string Email { get; init; }
    public required KeyRole Role { get; init; }
    public required string InvitedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public ETag ETag { get; init; }
}

/// <summary>The stable id of a person: a hash of issuer and subject, so ids are short, key-safe and reveal neither.</summary>
public static class PersonId
{
    public static string Of(string issuer, string subject) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(issuer + "\n" + subject)))[..32];

    public static bool IsValid(string? id) => id is { Length: 32 } && !id.AsSpan().ContainsAnyExcept(LowerHex.Digits);
}

internal static class MemberIds
{
    public const string Prefix = "mem_";
    public const string InvitationPrefix = "inv_";

    public static string NewInvitationId() => InvitationPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static bool IsValidInvitationId(string? id) =>
        id is { Length: 20 } && id.StartsWith(InvitationPrefix, StringComparison.Ordinal) && !id.AsSpan(4).ContainsAnyExcept(LowerHex.Digits);

    /// <summary>The key an email is looked up by: case-insensitive, never the address itself.</summary>
    public static string EmailHash(string email) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(email.Trim().ToLowerInvariant())))[..32];
}
