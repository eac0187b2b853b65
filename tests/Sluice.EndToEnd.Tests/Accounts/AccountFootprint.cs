using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>Everything of one account in the app's storage, counted straight from Azurite.</summary>
internal sealed record AccountFootprint(int UsageRows, int Rollups, int KeyEntries, int AuditEntries, int DataKeys, int PayloadBlobs)
{
    public int Total => UsageRows + Rollups + KeyEntries + AuditEntries + DataKeys + PayloadBlobs;

    public static async Task<AccountFootprint> ReadAsync(SluiceApplication app, string accountId)
    {
        var s = app.Storage;
        var prefix = accountId + "|";
        var blobs = 0;
        await foreach (var _ in s.Payloads.GetBlobsAsync(new GetBlobsOptions { Prefix = accountId + "/" }))
        {
            blobs++;
        }
        return new AccountFootprint(
            await CountAsync(s.Usage, TableClient.CreateQueryFilter($"PartitionKey ge {prefix} and PartitionKey lt {prefix + "~"}")),
            await CountAsync(s.Rollups, TableClient.CreateQueryFilter($"PartitionKey eq {accountId}")),
            // Both entries of every key: the listing entry and the authentication (hash) entry carry the account id.
            await CountAsync(s.Keys, TableClient.CreateQueryFilter($"AccountId eq {accountId}")),
            await CountAsync(s.Audit, TableClient.CreateQueryFilter($"PartitionKey eq {accountId}")),
            await CountAsync(s.DataKeys, TableClient.CreateQueryFilter($"PartitionKey eq {accountId}")),
            blobs);
    }

    /// <summary>
    /// Every entity of every table, and every payload blob, that still names the account anywhere (key, property or blob
    /// name), except its tombstone and the stamp-level proof of its purge. A full scan: fine for a test's own tables.
    /// </summary>
    public static async Task<List<string>> LeftoversAsync(SluiceApplication app, string accountId)
    {
        var found = new List<string>();
        foreach (var table in app.Storage.AllTables)
        {
            await foreach (var e in table.QueryAsync<TableEntity>())
            {
                var mentions = e.PartitionKey.Contains(accountId, StringComparison.Ordinal) || e.RowKey.Contains(accountId, StringComparison.Ordinal)
                    || ((IDictionary<string, object>)e).Values.OfType<string>().Any(v => v.Contains(accountId, StringComparison.Ordinal));
                var allowed = (table.Name.EndsWith("accounts", StringComparison.Ordinal) && e.RowKey == accountId)
                    || (e.PartitionKey == AuditLog.StampPartition && e.GetString("Target") == accountId)
                    // Purge-run records list ids in their notes, never data.
                    || table.Name.EndsWith("purgeruns", StringComparison.Ordinal);
                if (mentions && !allowed)
                {
                    found.Add($"{table.Name}: {e.PartitionKey} / {e.RowKey}");
                }
            }
        }
        await foreach (var blob in app.Storage.Payloads.GetBlobsAsync())
        {
            if (blob.Name.Contains(accountId, StringComparison.Ordinal))
            {
                found.Add("payloads: " + blob.Name);
            }
        }
        return found;
    }

    /// <summary>Stores real content for the account through the product's own paths: the Owner opts in to
    /// <c>retain_all</c> (<paramref name="contentDays"/> content days), and one completion through the gateway writes an encrypted payload blob under
    /// a new wrapped data key. Daily rollups appear once a purge run has materialised a closed day
    /// (see <see cref="MaterialiseAsync"/>).</summary>
    public static async Task SeedStoredContentAsync(SluiceApplication app, string ownerKey, int contentDays = 30)
    {
        var client = app.CreateHttpClient(ownerKey);
        var optIn = await client.PutAsync("v1/account/retention",
            AccountApi.Json($$"""{"content_mode":"retain_all","content_retention_days":{{contentDays}},"usage_retention_days":90}"""));
        Assert.Equal(System.Net.HttpStatusCode.OK, optIn.StatusCode);
        var chat = await client.ChatAsync(text: "stored content");
        Assert.Equal(System.Net.HttpStatusCode.OK, chat.StatusCode);
        // The answer reaches the client just before its stored copy and row are committed: wait for them, so that
        // what the test does next (close, purge, count) meets them.
        var requestId = chat.Headers.GetValues("x-request-id").Single();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var view = await client.GetAsync("v1/requests/" + requestId);
            if ((view.IsSuccessStatusCode && (await view.BodyAsync()).GetProperty("content_status").GetString() == "stored") || DateTime.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Moves a day on and runs the purge once, so the days seeded so far are closed and rolled up (a rollup
    /// row per day and model, plus the account's <c>~materialized</c> watermark). Footprints taken afterwards only
    /// change when something is deleted.</summary>
    public static async Task MaterialiseAsync(SluiceApplication app)
    {
        app.AdvanceDays(1);
        var run = await app.PurgeAsync();
        Assert.Equal("completed", run.Status);
    }

    private static async Task<int> CountAsync(TableClient table, string filter)
    {
        var n = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey"]))
        {
            n++;
        }
        return n;
    }
}
