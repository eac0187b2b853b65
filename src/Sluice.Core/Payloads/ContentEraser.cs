using Azure;
using Azure.Data.Tables;
using Sluice.Retention;
using Sluice.Storage;

namespace Sluice.Payloads;

/// <summary>
/// Erases all stored content of an account: its data keys first (crypto-shredding: from that moment no copy of its
/// payloads, wherever it lingers, can be decrypted), then its payload blobs, found by their <c>account</c> tag.
/// Used by the customer's "erase my content" and by the purge of a closed account; safe to repeat.
/// </summary>
public sealed class ContentEraser(SluiceStorage storage)
{
    public async Task<(long DataKeys, long Blobs)> EraseAccountAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        var keys = await TableDeletes.DeleteWhereAsync(storage.DataKeys,
            TableClient.CreateQueryFilter($"PartitionKey eq {accountId}"), run, "data_keys", cancellationToken);
        long blobs = 0;
        // Account ids are generated ([a-z0-9_]), so they are safe inside the tag query's quotes.
        var query = $"\"account\" = '{accountId}'";
        while (!run.BudgetExhausted)
        {
            var page = new List<string>();
            await foreach (var item in storage.Payloads.FindBlobsByTagsAsync(query, cancellationToken))
            {
                page.Add(item.BlobName);
                if (page.Count >= run.NextBatchSize)
                {
                    break;
                }
            }
            if (page.Count == 0)
            {
                break;
            }
            var deletedNow = 0;
            foreach (var name in page)
            {
                var response = await storage.Payloads.DeleteBlobIfExistsAsync(name, cancellationToken: cancellationToken);
                if (response.Value)
                {
                    deletedNow++;
                }
            }
            blobs += deletedNow;
            run.CountDeleted("payload_blobs", deletedNow);
            if (deletedNow == 0)
            {
                // The tag index lags deletes a little; a page of blobs already gone means the rest is done.
                break;
            }
        }
        return (keys, blobs);
    }
}
