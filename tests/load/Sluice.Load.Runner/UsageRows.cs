using Azure.Data.Tables;
using Sluice.Usage;

namespace Sluice.Load;

/// <summary>What the usage table holds for one account: its rows (by request id) and the sum of its counter rows,
/// read by the account's PartitionKey range <c>{account}|…</c>, exactly as the gateway lays them out.</summary>
internal sealed record UsageCount(HashSet<string> RequestIds, long CounterRequests)
{
    public int Rows => RequestIds.Count;

    public static async Task<UsageCount> ReadAsync(TableClient usage, string accountId)
    {
        var from = UsageTable.AccountPrefix(accountId);
        var to = from + "~";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long counters = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {to}");
        await foreach (var e in usage.QueryAsync<TableEntity>(filter, select: ["RowKey", "RequestId", "Requests"]))
        {
            if (e.RowKey.StartsWith("~rollup|", StringComparison.Ordinal))
            {
                counters += e.GetInt64("Requests") ?? 0;
            }
            else
            {
                ids.Add(e.GetString("RequestId") ?? e.RowKey);
            }
        }
        return new UsageCount(ids, counters);
    }

    /// <summary>
    /// Reads until two reads in a row agree and the rows reach <paramref name="expected"/> (or the count stopped
    /// changing for a few seconds). A paged scan is not a snapshot: a row committed while it runs lands before the scan's
    /// position (newest rows sort first in a partition) while its counter, the partition's last row, is read after, so a
    /// single read taken while rows still arrive shows counters above the rows. Two equal reads bracket a table at rest.
    /// </summary>
    public static async Task<(UsageCount Count, TimeSpan Waited)> SettleAsync(TableClient usage, string accountId, int expected)
    {
        var started = DateTime.UtcNow;
        UsageCount? previous = null;
        var stableSince = DateTime.UtcNow;
        while (true)
        {
            var count = await ReadAsync(usage, accountId);
            var unchanged = previous is not null && count.Rows == previous.Rows && count.CounterRequests == previous.CounterRequests;
            if (unchanged && (count.Rows >= expected || DateTime.UtcNow - stableSince > TimeSpan.FromSeconds(5)))
            {
                return (count, DateTime.UtcNow - started);
            }
            if (!unchanged)
            {
                stableSince = DateTime.UtcNow;
            }
            previous = count;
            await Task.Delay(250);
        }
    }
}
