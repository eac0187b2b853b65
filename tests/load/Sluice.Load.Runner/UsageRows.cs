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

    /// <summary>Reads until the count reaches <paramref name="expected"/> or stops changing for a few seconds.</summary>
    public static async Task<(UsageCount Count, TimeSpan Waited)> SettleAsync(TableClient usage, string accountId, int expected)
    {
        var started = DateTime.UtcNow;
        var last = -1;
        var stableSince = DateTime.UtcNow;
        while (true)
        {
            var count = await ReadAsync(usage, accountId);
            if (count.Rows >= expected && count.CounterRequests >= count.Rows)
            {
                return (count, DateTime.UtcNow - started);
            }
            if (count.Rows != last)
            {
                last = count.Rows;
                stableSince = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - stableSince > TimeSpan.FromSeconds(5))
            {
                return (count, DateTime.UtcNow - started);
            }
            await Task.Delay(250);
        }
    }
}
