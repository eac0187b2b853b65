using Microsoft.Extensions.Options;
using Sluice.Storage;
using Sluice.Usage;

namespace Sluice.Retention.Rules;

/// <summary>
/// Materialises each account's daily rollups once a day is closed (its end plus
/// <see cref="PurgeOptions.RollupCloseDelay"/>), from the counters kept beside the rows, and deletes rollups past
/// their own period (<see cref="PurgeOptions.RollupRetentionDays"/>), which is longer than any row's, so billing
/// history survives the purge of per-request rows. A per-account watermark makes each closed day one small query.
/// </summary>
internal sealed class DailyRollupsRule(RollupTable rollups, PurgeScope scope, IOptionsMonitor<PurgeOptions> options) : IPurgeRule
{
    /// <summary>Bounds one run's catch-up for an account (e.g. after an upgrade); the next run continues.</summary>
    private const int MaxDaysPerAccount = 62;

    public string Name => "rollups";

    public async Task RunAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        var o = options.CurrentValue;
        var lastClosed = DateOnly.FromDateTime((run.Now - o.RollupCloseDelay).UtcDateTime).AddDays(-1);
        var firstKept = UsageTable.DayKey(run.Today.AddDays(1 - o.RollupRetentionDays));
        await foreach (var account in scope.AccountsWithDataAsync(cancellationToken))
        {
            if (run.BudgetExhausted)
            {
                return;
            }
            var through = await rollups.WatermarkAsync(account.Id, cancellationToken)
                ?? DateOnly.FromDateTime(account.CreatedAt.UtcDateTime).AddDays(-1);
            var days = 0;
            for (var day = through.AddDays(1); day <= lastClosed && days < MaxDaysPerAccount; day = day.AddDays(1), days++)
            {
                var dayKey = UsageTable.DayKey(day);
                var counters = await rollups.ReadDayCountersAsync(account.Id, dayKey, cancellationToken);
                run.Changed("rollups_materialized", await rollups.FoldAsync(account.Id, dayKey, counters, cancellationToken));
                through = day;
            }
            if (days > 0)
            {
                await rollups.SetWatermarkAsync(account.Id, through, cancellationToken);
            }

            if (!PurgeScope.Held(account, run, Name))
            {
                await rollups.DeleteBeforeAsync(account.Id, firstKept, run, cancellationToken);
            }
        }
    }
}
