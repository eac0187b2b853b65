using System.Runtime.CompilerServices;
using Azure;
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
public sealed class KeyStore(SluiceStorage storage)
{
    private const string Row = "key";

    private static string HashPartition(string hash) => "h|" + hash;
    private static string AccountPartition(string accountId) => "a|" + accountId;

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
        var added = await storage.Keys.AddEntityAsync(ToEntity(key), cancellationToken);
        await storage.Keys.AddEntityAsync(new TableEntity(HashPartition(key.Hash), Row)
        {
            ["KeyId"] = key.Id,
            ["AccountId"] = key.AccountId,
            ["Hash"] = key.Hash,
        }, cancellationToken);
        return (key with { ETag = added.Headers.ETag ?? default }, secret);
    }

    /// <summary>The key whose secret has this hash, as its record says now; null when there is none.</summary>
    public async Task<ApiKey?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        var index = await storage.Keys.GetEntityIfExistsAsync<TableEntity>(HashPartition(hash), Row, cancellationToken: cancellationToken);
        if (!index.HasValue || index.Value!.GetString("AccountId") is not { Length: > 0 } accountId || index.Value.GetString("KeyId") is not { } keyId)
        {
            return null;
        }
        var key = await GetAsync(accountId, keyId, cancellationToken);
        // Hash entries written before the record became authoritative carry their own revocation; a revocation found
        // in either entry stands, so no key revoked under the old layout comes back.
        return key is not null && key.RevokedAt is null && index.Value.GetDateTimeOffset("RevokedAt") is { } revokedAt
            ? key with { RevokedAt = revokedAt }
            : key;
    }

    public async Task<ApiKey?> GetAsync(string accountId, string keyId, CancellationToken cancellationToken)
    {
        if (!GatewayKey.IsValidKeyId(keyId))
        {
            return null;
        }
        var response = await storage.Keys.GetEntityIfExistsAsync<TableEntity>(AccountPartition(accountId), keyId, cancellationToken: cancellationToken);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    public async IAsyncEnumerable<ApiKey> ListAsync(string accountId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pk = AccountPartition(accountId);
        await foreach (var e in storage.Keys.QueryAsync<TableEntity>(KeyRows(pk), cancellationToken: cancellationToken))
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
    public async Task<ApiKey?> TryWriteAsync(ApiKey updated, ApiKey? witness, CancellationToken cancellationToken)
    {
        var responses = await TrySubmitAsync([Replace(updated)],
            witness is null ? null : OwnerWitness.Of(witness), cancellationToken);
        return responses is null ? null : updated with { ETag = responses[0].Headers.ETag ?? default };
    }

    /// <summary>
    /// The witness protocol for any principal of an account (key or member, see <see cref="MemberStore"/>): the
    /// changes and, when given, an unchanged rewrite of the witness (an empty merge conditional on its version), in one
    /// entity group transaction. Null when a condition failed (412), a record is gone (404) or an added one exists (409).
    /// </summary>
    internal async Task<IReadOnlyList<Azure.Response>?> TrySubmitAsync(List<TableTransactionAction> actions, OwnerWitness? witness,
        CancellationToken cancellationToken)
    {
        if (witness is { } w)
        {
            actions.Add(new(TableTransactionActionType.UpdateMerge, new TableEntity(AccountPartition(w.AccountId), w.RowKey), w.ETag));
        }
        try
        {
            return (await storage.Keys.SubmitTransactionAsync(actions, cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404 or 409)
        {
            return null;
        }
    }

    /// <summary>The action that replaces a key's record if it is still at the version it was read at.</summary>
    internal static TableTransactionAction Replace(ApiKey key) => new(TableTransactionActionType.UpdateReplace, ToEntity(key), key.ETag);

    internal static string PartitionOf(string accountId) => AccountPartition(accountId);

    /// <summary>Only the key records of an account's partition (members and invitations share it).</summary>
    private static string KeyRows(string pk) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey ge {"key_"} and RowKey lt {"key`"}");

    /// <summary>
    /// Deletes every key of an account, both entries, within the purge run's budget; safe to repeat and to resume.
    /// The authentication entry goes first and the listing entry last, so a run cut off between the two still finds
    /// the key through its listing next time. Returns the entities deleted.
    /// </summary>
    public async Task<long> DeleteAllAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        long deleted = 0;
        var pk = AccountPartition(accountId);
        while (!run.BudgetExhausted)
        {
            var page = new List<ApiKey>();
            await foreach (var e in storage.Keys.QueryAsync<TableEntity>(KeyRows(pk), maxPerPage: run.BatchSize, cancellationToken: cancellationToken))
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
                n += IsDeleted(await storage.Keys.DeleteEntityAsync(HashPartition(key.Hash), Row, ETag.All, cancellationToken));
                n += IsDeleted(await storage.Keys.DeleteEntityAsync(pk, key.Id, ETag.All, cancellationToken));
                run.CountDeleted("keys", n);
                deleted += n;
            }
        }
        return deleted;
    }

    // DeleteEntityAsync answers a missing entity with its 404 response instead of throwing: already gone is fine.
    private static int IsDeleted(Azure.Response response) => response.Status == 404 ? 0 : 1;

    private static TableEntity ToEntity(ApiKey k) => new(AccountPartition(k.AccountId), k.Id)
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
