using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Sluice.Retention;
using Sluice.Storage;

namespace Sluice.Accounts;

/// <summary>
/// The keys table holds each key twice: under <c>h|{sha256}</c> for the authentication lookup (a point read) and
/// under <c>a|{account}</c> for listing an account's keys. The hash entry is authoritative for authentication.
/// </summary>
public sealed class KeyStore(SluiceStorage storage)
{
    private const string Row = "key";

    private static string HashPartition(string hash) => "h|" + hash;
    private static string AccountPartition(string accountId) => "a|" + accountId;

    /// <summary>Mints a key for an account and returns it with its secret, which is shown once and never again.</summary>
    public async Task<(ApiKey Key, string Secret)> CreateAsync(string accountId, string region, KeyRole role, string? name,
        DateTimeOffset now, DateTimeOffset? expiresAt, IReadOnlyList<string> allowedModels, CancellationToken cancellationToken)
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
            Hash = GatewayKey.Hash(secret),
        };
        // The listing entry first: a key that authenticates but cannot be listed could never be revoked.
        await storage.Keys.AddEntityAsync(ToEntity(key, AccountPartition(accountId), key.Id), cancellationToken);
        await storage.Keys.AddEntityAsync(ToEntity(key, HashPartition(key.Hash), Row), cancellationToken);
        return (key, secret);
    }

    public async Task<ApiKey?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        var response = await storage.Keys.GetEntityIfExistsAsync<TableEntity>(HashPartition(hash), Row, cancellationToken: cancellationToken);
        return response.HasValue ? FromEntity(response.Value!) : null;
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
        await foreach (var e in storage.Keys.QueryAsync<TableEntity>(x => x.PartitionKey == pk, cancellationToken: cancellationToken))
        {
            yield return FromEntity(e);
        }
    }

    /// <summary>Revokes a key: the authentication entry first, so the key stops working even if the second write fails.
    /// Unconditional on purpose: a revocation wins over any change racing it.</summary>
    public async Task<ApiKey> RevokeAsync(ApiKey key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var revoked = key with { RevokedAt = now };
        await storage.Keys.UpsertEntityAsync(ToEntity(revoked, HashPartition(key.Hash), Row), TableUpdateMode.Replace, cancellationToken);
        await storage.Keys.UpsertEntityAsync(ToEntity(revoked, AccountPartition(key.AccountId), key.Id), TableUpdateMode.Replace, cancellationToken);
        return revoked;
    }

    /// <summary>
    /// Writes <paramref name="updated"/> if the key is still exactly <paramref name="original"/> (the version the change
    /// was decided on); null when it changed meanwhile. The authentication entry is authoritative and written first,
    /// with If-Match, so a concurrent revocation or demotion is never undone by a change based on a stale read.
    /// </summary>
    public async Task<ApiKey?> TryUpdateAsync(ApiKey original, ApiKey updated, CancellationToken cancellationToken)
    {
        var stored = await storage.Keys.GetEntityIfExistsAsync<TableEntity>(HashPartition(original.Hash), Row, cancellationToken: cancellationToken);
        if (!stored.HasValue || !SameVersion(FromEntity(stored.Value!), original))
        {
            return null;
        }
        try
        {
            await storage.Keys.UpdateEntityAsync(ToEntity(updated, HashPartition(updated.Hash), Row), stored.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return null;
        }
        await storage.Keys.UpsertEntityAsync(ToEntity(updated, AccountPartition(updated.AccountId), updated.Id), TableUpdateMode.Replace, cancellationToken);
        return updated;
    }

    private static bool SameVersion(ApiKey a, ApiKey b) =>
        a.Role == b.Role && a.RevokedAt == b.RevokedAt && a.ExpiresAt == b.ExpiresAt && a.Name == b.Name
        && a.AllowedModels.SequenceEqual(b.AllowedModels, StringComparer.Ordinal);

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
            await foreach (var e in storage.Keys.QueryAsync<TableEntity>(x => x.PartitionKey == pk, maxPerPage: run.BatchSize, cancellationToken: cancellationToken))
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

    private static TableEntity ToEntity(ApiKey k, string pk, string rk) => new(pk, rk)
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
            Hash = e.GetString("Hash") ?? "",
        };
    }
}
