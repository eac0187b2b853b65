using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Storage;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Payloads;

/// <summary>What an erasure did; <see cref="Remaining"/> means the budget ran out and the purge finishes it.</summary>
public sealed record ContentErasure(long DataKeysDestroyed, long BlobsDeleted, bool Remaining);

/// <summary>
/// Erases stored content. Always the data keys first (crypto-shredding: from that moment no copy of the payloads,
/// wherever it lingers, can be decrypted), then the blobs. Safe to repeat; a run cut short is finished by the purge.
/// </summary>
public sealed class ContentEraser(
    PayloadStore payloads,
    DataKeyRing keys,
    UsageTable usage,
    TimeProvider time,
    IOptionsMonitor<PayloadOptions> options)
{
    /// <summary>Everything of an account, for the purge of a closed account: every data-key row (tombstones too),
    /// then every blob tagged with the account.</summary>
    public async Task<(long DataKeys, long Blobs)> EraseAccountAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        var dataKeys = await keys.DeleteAccountAsync(accountId, run, cancellationToken);
        if (!AccountStore.IsValidId(accountId))
        {
            return (dataKeys, 0);
        }
        // Account ids are generated ([a-z0-9_]), so they are safe inside the tag query's quotes.
        var (blobs, _) = await payloads.DeleteAccountAsync(accountId, run, cancellationToken);
        return (dataKeys, blobs);
    }

    /// <summary>The customer's "erase my content": destroys the account's live data keys, then deletes the blobs of
    /// every destroyed key and clears the usage rows' references to them. The rows themselves are kept.</summary>
    public async Task<ContentErasure> EraseAccountContentAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        var destroyed = await keys.ShredAsync(accountId, run, cancellationToken);
        var (blobs, complete) = await DeleteShreddedAsync(accountId, run, cancellationToken);
        return new ContentErasure(destroyed, blobs, !complete);
    }

    /// <summary>Deletes the blobs encrypted under the account's destroyed keys (found by their <c>key</c> tag) and clears
    /// the rows' references. A tombstone is removed once no blob of its key is left and every instance's key cache has
    /// expired (an instance may still have encrypted with the key just before it was destroyed).</summary>
    public async Task<(long Blobs, bool Complete)> DeleteShreddedAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        long total = 0;
        if (!AccountStore.IsValidId(accountId))
        {
            return (0, true);
        }
        var settle = options.CurrentValue.DataKeyCacheTtl * 2;
        foreach (var (keyId, shreddedAt) in await keys.TombstonesAsync(accountId, cancellationToken))
        {
            if (!DataKeyRing.IsValidKeyId(keyId))
            {
                continue;
            }
            var (deleted, complete) = await payloads.DeleteUnderKeyAsync(accountId, keyId, run, ClearReferenceAsync, cancellationToken);
            total += deleted;
            if (!complete)
            {
                return (total, false);
            }
            if (deleted == 0 && time.GetUtcNow() - shreddedAt > settle)
            {
                await keys.RemoveTombstoneAsync(accountId, keyId, cancellationToken);
            }
        }
        return (total, true);
    }

    /// <summary>One request's content: its blob, and the row's reference to it. True when there was a blob.</summary>
    public async Task<bool> EraseRequestAsync(string accountId, RequestId id, CancellationToken cancellationToken)
    {
        var existed = await payloads.DeleteAsync(accountId, id, cancellationToken);
        await ClearReferenceAsync(accountId, id, cancellationToken);
        return existed;
    }

    private async Task ClearReferenceAsync(string accountId, RequestId id, CancellationToken cancellationToken)
    {
        if (await usage.GetAsync(accountId, id, cancellationToken) is not { } found || found.Record.ContentBlob is null)
        {
            return;
        }
        try
        {
            await usage.ClearContentAsync(found.Entity, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The row's own period ended meanwhile: nothing left to clear.
        }
    }
}
