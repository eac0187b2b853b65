using Azure;

namespace Sluice.Accounts;

/// <summary>
/// A principal of an account (a key or a member) that is a usable Owner at the moment a change that takes an Owner
/// away is decided: the change is written together with an unchanged rewrite of this record, conditional on this
/// version, so the change commits only if the witness is still what it was (see AccountLifecycle's WriteKeyAsync).
/// </summary>
public readonly record struct OwnerWitness(string AccountId, string RowKey, ETag ETag)
{
    public static OwnerWitness Of(ApiKey key) => new(key.AccountId, key.Id, key.ETag);

    public static OwnerWitness Of(Member member) => new(member.AccountId, member.Id, member.ETag);
}

/// <summary>Finds a witness for "the account always keeps one Owner, key or member": one rule for both kinds.</summary>
public sealed class AccountOwners(KeyStore keys, MemberStore members)
{
    /// <summary>Another usable Owner of the account than <paramref name="exceptRowKey"/>, preferring the one that lasts
    /// longest (a member, or a key without expiry), so the account is not left relying on one about to expire; null
    /// when there is none.</summary>
    public async Task<OwnerWitness?> FindOtherAsync(string accountId, string exceptRowKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ApiKey? bestKey = null;
        await foreach (var other in keys.ListAsync(accountId, cancellationToken))
        {
            if (other.Id != exceptRowKey && IsUsableOwner(other, now) && (bestKey is null || Lasts(other) > Lasts(bestKey)))
            {
                bestKey = other;
            }
        }
        if (bestKey is { ExpiresAt: null })
        {
            return OwnerWitness.Of(bestKey);
        }
        await foreach (var member in members.ListAsync(accountId, cancellationToken))
        {
            if (member.Id != exceptRowKey && member.Role == KeyRole.Owner)
            {
                return OwnerWitness.Of(member);
            }
        }
        return bestKey is null ? null : OwnerWitness.Of(bestKey);

        static DateTimeOffset Lasts(ApiKey k) => k.ExpiresAt ?? DateTimeOffset.MaxValue;
    }

    public static bool IsUsableOwner(ApiKey key, DateTimeOffset now) => key.Role == KeyRole.Owner && key.IsUsableAt(now);
}
