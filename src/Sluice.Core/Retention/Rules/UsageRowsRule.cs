using Azure;
using Azure.Data.Tables;
using Sluice.Storage;
using Sluice.Usage;

namespace Sluice.Retention.Rules;

/// <summary>
/// Deletes per-request usage rows past each account's usage period: rows of UTC day D kept N days go at the first
/// run on or after D+N. An account's rows older than a day are one PartitionKey range (<c>{account}|{yyyyMMdd}|…</c>),
/// taken oldest day first. Before a day's rows go, its counters are folded into the daily rollups, so billing
/// history outlives the rows; each counter is then deleted only if unchanged since it was folded, so a late row
/// (a request begun before midnight) is folded at the next pass instead of lost.
/// </summary>
internal sealed class UsageRowsRule(UsageTable usage, RollupTable rollups, PurgeScope scope) : IPurgeRule
{
    private const int MaxPassesPerDay = 4;
    private static readonly string[] s_partitionKeyOnly = ["PartitionKey"];

    public string Name => "usage_rows";

    public async Task RunAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        await foreach (var account in scope.AccountsWithDataAsync(cancellationToken))
        {
            if (run.BudgetExhausted)
            {
                return;
            }
            if (PurgeScope.Held(account, run, Name))
            {
                continue;
            }
            var firstKept = UsageTable.DayKey(run.Today.AddDays(1 - account.Retention.UsageRetentionDays));
            string? previous = null;
            var passes = 0;
            while (!run.BudgetExhausted && await OldestDayAsync(account.Id, firstKept, cancellationToken) is { } day)
            {
                passes = day == previous ? passes + 1 : 1;
                if (passes > MaxPassesPerDay)
                {
                    run.Note($"{Name}: {account.Id} day {day} still changing; the next run continues");
                    break;
                }
                previous = day;
                await PurgeDayAsync(account.Id, day, run, cancellationToken);
            }
        }
    }

    /// <summary>The oldest day of the account with anything left before <paramref name="firstKept"/>.</summary>
    private async Task<string?> OldestDayAsync(string accountId, string firstKept, CancellationToken cancellationToken)
    {
        var from = UsageTable.AccountPrefix(accountId);
        var to = from + firstKept;
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {to}");
        await foreach (var e in usage.Client.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: s_partitionKeyOnly, cancellationToken: cancellationToken))
        {
            var parts = e.PartitionKey.Split('|');
            return parts.Length == 3 ? parts[1] : null;
        }
        return null;
    }

    private async Task PurgeDayAsync(string accountId, string day, PurgeRun run, CancellationToken cancellationToken)
    {
        var counters = await rollups.ReadDayCountersAsync(accountId, day, cancellationToken);
        run.Changed("rollups_folded", await rollups.FoldAsync(accountId, day, counters, cancellationToken));

        var from = UsageTable.DayPrefix(accountId, day);
        var to = from + "~";
        var rowsOnly = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {to} and RowKey lt {"~"}");
        await TableDeletes.DeleteWhereAsync(usage.Client, rowsOnly, run, "usage_rows", cancellationToken);
        if (run.BudgetExhausted)
        {
            return;
        }
        foreach (var counter in counters)
        {
            try
            {
                await usage.Client.DeleteEntityAsync(counter.PartitionKey, counter.RowKey, counter.ETag, cancellationToken);
                run.CountDeleted("usage_counters", 1);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // 412: a late row moved the counter on after it was folded; the next pass folds it again.
            }
        }
    }
}
