using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Testing;
using Sluice.Usage;
using static Sluice.Core.Tests.Retention.RetentionScenario;

namespace Sluice.Core.Tests.Retention.Rules;

/// <summary>Daily rollups: always the sum of the day's rows while the rows exist (recomputed here from the rows
/// themselves), also with two writers and retried writes; materialised once the day is closed; kept after the rows
/// for their own, longer period.</summary>
public sealed class DailyRollupsRuleTests : IAsyncLifetime
{
    private RetentionScenario _s = null!;

    public async Task InitializeAsync() => _s = await RetentionScenario.StartAsync(
        ("Sluice:Retention:RollupRetentionDays", "10"), ("Sluice:Retention:RollupCloseDelay", "01:00:00"));

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task RollupsEqualRowSums_WithTwoConcurrentWritersAndRetriedWrites_ThenOutliveTheRows_UntilTheirOwnPeriod()
    {
        var account = await _s.AccountAsync(0, 3);
        // A second instance of the stamp on the same tables, with its own meter (own counter cache), whose storage
        // connection loses the reply of every third table transaction after it committed.
        await using var flaky = await FlakyStorageProxy.StartAsync();
        await using var other = await SluiceApplication.StartAsync(SharedStorage.With(_s.App,
            ("Sluice:Retention:RollupRetentionDays", "10"), ("Sluice:Storage:TableServiceUri", flaky.TableServiceUri.ToString()),
            ("Sluice:Usage:WriteRetryDelay", "00:00:00.010")), _s.Time);
        var meters = new[] { _s.Get<UsageMeter>(), other.Services.GetRequiredService<UsageMeter>() };
        var random = new Random(42);
        var rows = Enumerable.Range(0, 240).Select(i => Row(account, At(D.AddDays(i % 2), 1 + i % 20, i % 60, i % 59),
            model: i % 3 == 0 ? "gpt-a" : "gpt/b#1", prompt: random.Next(1, 500), completion: random.Next(0, 300),
            cost: random.Next(0, 100_000), status: i % 7 == 0 ? 502 : 200, estimated: i % 5 == 0)).ToList();

        // Both instances write at once, in bursts, so transactions of both meet on the same partitions and counters.
        foreach (var burst in rows.Chunk(40))
        {
            await Task.WhenAll(burst.Select((row, i) => meters[i % 2].RecordAsync(row)));
        }

        // Some commits were retried after their reply was lost, and none was counted twice or lost.
        Assert.True(flaky.RepliesLost > 0);
        Assert.DoesNotContain(other.Logs.Lines, l => l.Contains("could not be written", StringComparison.Ordinal));
        var stored = await _s.RowsAsync(account);
        Assert.Equal(rows.Count, stored.Count);
        var expected = SumsFromRows(stored);
        await AssertTotalsAsync(account, expected, materialized: false);

        // Not materialised before the day is closed (end of day + one hour)...
        await _s.PurgeAtAsync(At(D.AddDays(1), 0, 59));
        Assert.Empty(await _s.RollupRowsAsync(account));
        // ...and exactly the rows' sums once it is.
        await _s.PurgeAtAsync(At(D.AddDays(1), 1, 0, 1));
        var rollups = await _s.RollupRowsAsync(account);
        Assert.All(rollups.Keys, k => Assert.StartsWith(UsageTable.DayKey(D), k, StringComparison.Ordinal));
        foreach (var (key, sums) in expected.Where(e => e.Key.StartsWith(UsageTable.DayKey(D), StringComparison.Ordinal)))
        {
            Assert.Equal(sums, Values(rollups[key]));
        }
        await AssertTotalsAsync(account, expected, materialized: null);

        // The rows' period (3 days) ends; the rollups stay, unchanged, until their own (10 days).
        await _s.PurgeAtAsync(At(D.AddDays(4), 2));
        Assert.Empty(await _s.RowsAsync(account));
        await AssertTotalsAsync(account, expected, materialized: true);

        await _s.PurgeAtAsync(At(D.AddDays(9), 23, 59));
        Assert.Equal(expected.Count, (await _s.RollupRowsAsync(account)).Count);
        await _s.PurgeAtAsync(At(D.AddDays(10), 0, 1));
        var left = await _s.RollupRowsAsync(account);
        Assert.All(left.Keys, k => Assert.StartsWith(UsageTable.DayKey(D.AddDays(1)), k, StringComparison.Ordinal));
        Assert.NotEmpty(left);
        await _s.PurgeAtAsync(At(D.AddDays(11), 0, 1));
        Assert.Empty(await _s.RollupRowsAsync(account));
    }

    private async Task AssertTotalsAsync(Sluice.Accounts.Account account, Dictionary<string, long[]> expected, bool? materialized)
    {
        var totals = await _s.Get<RollupTable>().TotalsAsync(account.Id, D.AddDays(-1), D.AddDays(2), CancellationToken.None);
        Assert.Equal(expected.Count, totals.Count);
        foreach (var t in totals)
        {
            Assert.Equal(expected[RollupTable.RowKey(UsageTable.DayKey(t.Day), t.Model)], Values(t));
            if (materialized is { } m)
            {
                Assert.Equal(m, t.Materialized);
            }
        }
    }
}
