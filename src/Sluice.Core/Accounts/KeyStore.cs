using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.Accounts;

/// <summary>
/// The keys table holds each key twice. The listing entry (<c>a|{account}</c>, RowKey the key id) is the key's record:
/// role, model allowlist, expiry, revocation. The hash entry (<c>h|{sha256}</c>, RowKey <c>key</c>) is only an index
/// from the secret's hash to that record, so authentication is a point read of each.
/// <para>
/// Every record of one account lives in one partition, so a change can be written as one entity group transaction
/// that is conditional (If-Match) on every record it was decided on; see <see cref="TryWriteAsync"/>. That is what
/// makes "always one usable Owner" hold when two callers act at once.
/// </para>
/// </summary>
public sealed class KeyStore(KeysTable table)
{
    private const string KeyPrefix = "key_";

    /// <summary>Mints a key for an account and returns it with its secret, which is shown once and never again.</summary>
    public async Task<(ApiKey Key, string Secret)> CreateAsync(string accountId, string region, KeyRole role, string? name,
        DateTimeOffset now, DateTimeOffset? expiresAt, IReadOnlyList<string> allowedModels, string? createdByMember, CancellationToken cancellationToken)
    {
        var secret = GatewayKey.Generate(region);
        var key = new ApiKey
        {
            Id = GatewayKey.NewKeyId(),
            AccountId = accountId,
            Role = role,
            Name = name,
            Hint = GatewayKey.HintOf(secret, region),
            CreatedAt = now,
            ExpiresAt = expiresAt,
            AllowedModels = allowedModels,
            CreatedByMember = createdByMember,
            Hash = GatewayKey.Hash(secret),
        };
        // The record first: a key that authenticates but cannot be listed could never be revoked.
        var etag = await table.AddRecordAsync(ToEntity(key), cancellationToken);
        await table.AddHashIndexAsync(key.Hash, key.Id, key.AccountId, cancellationToken);
        return (key with { ETag = etag }, secret);
    }

    /// <summary>The key whose secret has this hash, as its record says now; null when there is none.</summary>
    public async Task<ApiKey?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        var index = await table.GetHashIndexAsync(hash, cancellationToken);
        if (index is null || index.GetString("AccountId") is not { Length: > 0 } accountId || index.GetString("KeyId") is not { } keyId)
        {
            return null;
        }
        var key = await GetAsync(accountId, keyId, cancellationToken);
        // Hash entries written before the record became authoritative carry their own revocation; a revocation found
        // in either entry stands, so no key revoked under the old layout comes back.
        return key is not null && key.RevokedAt is null && index.GetDateTimeOffset("RevokedAt") is { } revokedAt
            ? key with { RevokedAt = revokedAt }
            : key;
    }

    public async Task<ApiKey?> GetAsync(string accountId, string keyId, CancellationToken cancellationToken)
    {
        if (!GatewayKey.IsValidKeyId(keyId))
        {
            return null;
        }
        return await table.GetRecordAsync(accountId, keyId, cancellationToken) is { } e ? FromEntity(e) : null;
    }

    public async IAsyncEnumerable<ApiKey> ListAsync(string accountId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in table.RecordsAsync(accountId, KeyPrefix, null, cancellationToken))
        {
            yield return FromEntity(e);
        }
    }

    /// <summary>
    /// Writes <paramref name="updated"/> if its record is still at <see cref="ApiKey.ETag"/> (the version the change was
    /// decided on) and, when a <paramref name="witness"/> is given, only if that key's record is unchanged too: both in
    /// one entity group transaction, so either both conditions hold at the commit or nothing is written. The witness
    /// is rewritten unchanged (an empty merge), which moves its ETag on: a concurrent change that relied on it, or that
    /// changes it, then fails its own condition instead of passing alongside this one. Null when a condition failed
    /// (someone changed either record meanwhile) or the record is gone.
    /// </summary>
    public Task<ApiKey?> TryWriteAsync(ApiKey updated, ApiKey? witness, CancellationToken cancellationToken) =>
        TryWriteWitnessedAsync(updated, witness is null ? null : OwnerWitness.Of(witness), cancellationToken);

    /// <summary>As <see cref="TryWriteAsync"/>, with any principal (key or member) as the witness.</summary>
    internal async Task<ApiKey?> TryWriteWitnessedAsync(ApiKey updated, OwnerWitness? witness, CancellationToken cancellationToken)
    {
        var responses = await table.TrySubmitAsync([KeysTable.Replace(ToEntity(updated), updated.ETag)], witness, cancellationToken);
        return responses is null ? null : updated with { ETag = responses[0].Headers.ETag ?? default };
    }

    /// <summary>
    /// Deletes every key of an account, both entries, within the purge run's budget; safe to repeat and to resume.
    /// The authentication entry goes first and the listing entry last, so a run cut off between the two still finds
    /// the key through its listing next time. Returns the entities deleted.
    /// </summary>
    public async Task<long> DeleteAllAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        long deleted = 0;
        while (!run.BudgetExhausted)
        {
            var page = new List<ApiKey>();
            await foreach (var e in table.RecordsAsync(accountId, KeyPrefix, run.BatchSize, cancellationToken))
            {
                page.Add(FromEntity(e));
                if (page.Count >= run.BatchSize)
                {
                    break;
                }
            }
            if (page.Count == 0)
            {
                break;
            }
            foreach (var key in page)
            {
                if (run.BudgetExhausted)
                {
                    break;
                }
                var n = 0;
                n += await table.DeleteHashIndexAsync(key.Hash, cancellationToken) ? 1 : 0;
                n += await table.DeleteRecordAsync(accountId, key.Id, Azure.ETag.All, cancellationToken) ? 1 : 0;
                run.CountDeleted("keys", n);
                deleted += n;
            }
        }
        return deleted;
    }

    private static TableEntity ToEntity(ApiKey k) => new(KeysTable.Record(k.AccountId, k.Id))
    {
        ["KeyId"] = k.Id,
        ["AccountId"] = k.AccountId,
        ["Role"] = k.Role.ToWire(),
        ["Name"] = k.Name,
        ["Hint"] = k.Hint,
        ["CreatedAt"] = k.CreatedAt,
        ["ExpiresAt"] = k.ExpiresAt,
        ["RevokedAt"] = k.RevokedAt,
        ["AllowedModels"] = string.Join('\n', k.AllowedModels),
        ["CreatedByMember"] = k.CreatedByMember,
        ["Hash"] = k.Hash,
    };

    private static ApiKey FromEntity(TableEntity e)
    {
        var role = KeyRoleNames.Parse(e.GetString("Role"));
        return new ApiKey
        {
            Id = e.GetString("KeyId") ?? "",
            AccountId = e.GetString("AccountId") ?? "",
            Role = role,
            Name = e.GetString("Name"),
            Hint = e.GetString("Hint") ?? "",
            CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
            ExpiresAt = e.GetDateTimeOffset("ExpiresAt"),
            RevokedAt = e.GetDateTimeOffset("RevokedAt"),
            AllowedModels = (e.GetString("AllowedModels") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries),
            CreatedByMember = e.GetString("CreatedByMember"),
            Hash = e.GetString("Hash") ?? "",
            ETag = e.ETag,
        };
    }
}
