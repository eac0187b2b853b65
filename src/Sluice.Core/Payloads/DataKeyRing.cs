using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Sluice.Storage;
using Sluice.Wire;

namespace Sluice.Payloads;

/// <summary>A usable data key of one account.</summary>
public sealed record DataKey(string Id, byte[] Key);

/// <summary>
/// Per-account AES-256 data keys in the data-keys table (PK account id, RK key id), each wrapped by the master key.
/// Writes use the account's newest live key under the current master key, creating one when there is none, so a
/// new master key starts new keys while old content keeps failing closed with a clear error. Destroying a key
/// (<see cref="ShredAsync"/>) replaces its row by a tombstone without key material: from then on every payload
/// encrypted under it is unreadable, wherever a copy lingers, and the tombstone tells the purge which blobs to remove.
/// </summary>
public sealed class DataKeyRing(SluiceStorage storage, IMemoryCache cache, IOptionsMonitor<PayloadOptions> options, TimeProvider time)
{
    private const string KeyIdPrefix = "dk_";
    private const int Stripes = 16;

    /// <summary>One lookup-or-create at a time per account on this instance: back-to-back requests of a new account
    /// would otherwise each create a key before the first is cached.</summary>
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];
    private ParsedMaster? _master;

    /// <summary>The configured master key, parsed once per configured value.</summary>
    public (MasterKey? Key, PayloadFailure? Failure) Master()
    {
        var configured = options.CurrentValue.MasterKey;
        var current = _master;
        if (current is null || !string.Equals(current.Configured, configured, StringComparison.Ordinal))
        {
            var (key, failure, _) = MasterKey.Parse(configured);
            current = new ParsedMaster(configured, key, failure);
            _master = current;
        }
        return (current.Key, current.Failure);
    }

    /// <summary>The key new payloads of <paramref name="accountId"/> are encrypted with.</summary>
    public async Task<(DataKey? Key, PayloadFailure? Failure)> CurrentAsync(string accountId, CancellationToken cancellationToken)
    {
        var (master, failure) = Master();
        if (master is null)
        {
            return (null, failure);
        }
        if (cache.TryGetValue(CurrentCacheKey(accountId, master.Id), out DataKey? cached) && cached is not null)
        {
            return (cached, null);
        }
        var stripe = _stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(accountId) % Stripes)];
        await stripe.WaitAsync(cancellationToken);
        try
        {
            return await LoadCurrentAsync(accountId, master, cancellationToken);
        }
        finally
        {
            stripe.Release();
        }
    }

    private async Task<(DataKey? Key, PayloadFailure? Failure)> LoadCurrentAsync(string accountId, MasterKey master, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(CurrentCacheKey(accountId, master.Id), out DataKey? cached) && cached is not null)
        {
            return (cached, null);
        }
        DataKey? newest = null;
        DateTimeOffset newestAt = default;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {accountId}");
        await foreach (var row in storage.DataKeys.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.GetBinary("WrappedKey") is not { } wrapped || row.GetString("MasterKeyId") != master.Id)
            {
                continue;
            }
            var created = row.GetDateTimeOffset("CreatedAt") ?? default;
            if (newest is null || created > newestAt)
            {
                var key = master.Unwrap(wrapped, accountId, row.RowKey);
                if (key is null)
                {
                    return (null, PayloadFailure.DataKeyCorrupt);
                }
                (newest, newestAt) = (new DataKey(row.RowKey, key), created);
            }
        }
        newest ??= await CreateAsync(accountId, master, cancellationToken);
        Remember(CurrentCacheKey(accountId, master.Id), newest);
        Remember(KeyCacheKey(accountId, newest.Id), newest);
        return (newest, null);
    }

    /// <summary>The key a stored payload names, to decrypt it.</summary>
    public async Task<(DataKey? Key, PayloadFailure? Failure)> GetAsync(string accountId, string keyId, CancellationToken cancellationToken)
    {
        var (master, failure) = Master();
        if (master is null)
        {
            return (null, failure);
        }
        if (cache.TryGetValue(KeyCacheKey(accountId, keyId), out DataKey? cached) && cached is not null)
        {
            return (cached, null);
        }
        var response = await storage.DataKeys.GetEntityIfExistsAsync<TableEntity>(accountId, keyId, cancellationToken: cancellationToken);
        if (!response.HasValue || response.Value!.GetBinary("WrappedKey") is not { } wrapped)
        {
            return (null, PayloadFailure.DataKeyDestroyed);
        }
        if (response.Value.GetString("MasterKeyId") != master.Id)
        {
            return (null, PayloadFailure.MasterKeyMismatch);
        }
        var key = master.Unwrap(wrapped, accountId, keyId);
        if (key is null)
        {
            return (null, PayloadFailure.DataKeyCorrupt);
        }
        var dataKey = new DataKey(keyId, key);
        Remember(KeyCacheKey(accountId, keyId), dataKey);
        return (dataKey, null);
    }

    /// <summary>Destroys every live data key of the account (crypto-shredding): each row becomes a tombstone with no
    /// key material. Returns how many keys were destroyed. Safe to repeat.</summary>
    public async Task<int> ShredAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        var shredded = 0;
        var now = time.GetUtcNow();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {accountId}");
        await foreach (var row in storage.DataKeys.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            cache.Remove(KeyCacheKey(accountId, row.RowKey));
            if (row.GetBinary("WrappedKey") is null)
            {
                continue;
            }
            var tombstone = new TableEntity(accountId, row.RowKey)
            {
                ["CreatedAt"] = row.GetDateTimeOffset("CreatedAt"),
                ["MasterKeyId"] = row.GetString("MasterKeyId"),
                ["ShreddedAt"] = now,
            };
            await storage.DataKeys.UpdateEntityAsync(tombstone, ETag.All, TableUpdateMode.Replace, cancellationToken);
            shredded++;
        }
        Forget(accountId);
        run.CountDeleted("data_keys", shredded);
        return shredded;
    }

    /// <summary>The account's destroyed keys, with when they were destroyed.</summary>
    public async Task<List<(string KeyId, DateTimeOffset ShreddedAt)>> TombstonesAsync(string accountId, CancellationToken cancellationToken)
    {
        var list = new List<(string, DateTimeOffset)>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {accountId}");
        await foreach (var row in storage.DataKeys.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.GetBinary("WrappedKey") is null)
            {
                list.Add((row.RowKey, row.GetDateTimeOffset("ShreddedAt") ?? default));
            }
        }
        return list;
    }

    public async Task RemoveTombstoneAsync(string accountId, string keyId, CancellationToken cancellationToken) =>
        await storage.DataKeys.DeleteEntityAsync(accountId, keyId, ETag.All, cancellationToken);

    /// <summary>Deletes every data-key row of the account, tombstones included, within the run's budget, and forgets
    /// the cached keys.</summary>
    public async Task<long> DeleteAccountAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        var deleted = await TableDeletes.DeleteWhereAsync(storage.DataKeys, TableClient.CreateQueryFilter($"PartitionKey eq {accountId}"), run,
            "data_keys", cancellationToken);
        Forget(accountId);
        return deleted;
    }

    /// <summary>Drops this instance's cached current key of the account (its keys by id are dropped by <see cref="ShredAsync"/>).</summary>
    public void Forget(string accountId)
    {
        if (Master().Key is { } master)
        {
            cache.Remove(CurrentCacheKey(accountId, master.Id));
        }
    }

    /// <summary>Whether <paramref name="value"/> is a data-key id this ring generates (safe inside a tag query).</summary>
    public static bool IsValidKeyId(string? value) =>
        value is { Length: 19 } && value.StartsWith(KeyIdPrefix, StringComparison.Ordinal) && !value.AsSpan(3).ContainsAnyExcept(LowerHex.Digits);

    private async Task<DataKey> CreateAsync(string accountId, MasterKey master, CancellationToken cancellationToken)
    {
        var id = KeyIdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var key = RandomNumberGenerator.GetBytes(MasterKey.Length);
        // Two instances may each create one at the same moment: both keys are valid, each payload names its own.
        await storage.DataKeys.AddEntityAsync(new TableEntity(accountId, id)
        {
            ["WrappedKey"] = master.Wrap(key, accountId, id),
            ["MasterKeyId"] = master.Id,
            ["CreatedAt"] = time.GetUtcNow(),
        }, cancellationToken);
        return new DataKey(id, key);
    }

    private void Remember(string cacheKey, DataKey key) => cache.Set(cacheKey, key, options.CurrentValue.DataKeyCacheTtl);

    private sealed record ParsedMaster(string? Configured, MasterKey? Key, PayloadFailure? Failure);

    private static string CurrentCacheKey(string accountId, string masterId) => $"sluice:dk:{accountId}:current:{masterId}";

    private static string KeyCacheKey(string accountId, string keyId) => $"sluice:dk:{accountId}:{keyId}";
}
