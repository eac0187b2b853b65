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
            while (!run.BudgetExhausted && await usage.OldestDayBeforeAsync(account.Id, firstKept, cancellationToken) is { } day)
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

    private async Task PurgeDayAsync(string accountId, string day, PurgeRun run, CancellationToken cancellationToken)
    {
        var counters = await rollups.ReadDayCountersAsync(accountId, day, cancellationToken);
        run.Changed("rollups_folded", await rollups.FoldAsync(accountId, day, counters, cancellationToken));

        await usage.DeleteDayRowsAsync(accountId, day, run, cancellationToken);
        if (run.BudgetExhausted)
        {
            return;
        }
        foreach (var counter in counters)
        {
            // Not deleted: a late row moved the counter on after it was folded; the next pass folds it again.
            if (await usage.DeleteCounterIfUnchangedAsync(counter, cancellationToken))
            {
                run.CountDeleted("usage_counters", 1);
            }
        }
    }
}
