using static Sluice.Core.Tests.Retention.RetentionScenario;
using Sluice.Accounts;
using Sluice.Wire;

namespace Sluice.Core.Tests.Retention.Rules;

/// <summary>Per-request rows of UTC day D kept N days: present on D+N−1, gone after the first run on D+N, with their
/// day's totals folded into the rollups first.</summary>
public sealed class UsageRowsRuleTests : IAsyncLifetime
{
    private RetentionScenario _s = null!;

    public async Task InitializeAsync() => _s = await RetentionScenario.StartAsync();

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task EachAccountsRows_AreKeptThroughDayDPlusNMinus1_AndGoneOnDayDPlusN_WhileTheirRollupsStay()
    {
        var one = await _s.AccountAsync(0, 1);
        var three = await _s.AccountAsync(0, 3);
        foreach (var account in (Sluice.Accounts.Account[])[one, three])
        {
            await _s.RecordAsync(Row(account, At(D, 0, 0, 1)), Row(account, At(D, 23, 59, 59), model: "b", status: 500),
                Row(account, At(D.AddDays(1), 12), prompt: 7));
        }
        var expected = SumsFromRows(await _s.RowsAsync(one));

        await _s.PurgeAtAsync(At(D, 23, 59, 59));
        Assert.Equal(3, (await _s.RowsAsync(one)).Count);

        await _s.PurgeAtAsync(At(D.AddDays(1), 0, 0, 1));
        Assert.Single(await _s.RowsAsync(one));
        Assert.Equal(3, (await _s.RowsAsync(three)).Count);

        await _s.PurgeAtAsync(At(D.AddDays(2), 23, 59, 59));
        Assert.Empty(await _s.RowsAsync(one));
        Assert.Equal(3, (await _s.RowsAsync(three)).Count);

        await _s.PurgeAtAsync(At(D.AddDays(3), 0, 0, 1));
        Assert.Single(await _s.RowsAsync(three));
        Assert.Equal(0, await _s.UsageEntitiesAsync(one));

        // Billing history survived the rows: each day's rollup is what the rows summed to.
        var rollups = await _s.RollupRowsAsync(one);
        Assert.Equal(expected.Keys.Order(), rollups.Keys.Order());
        foreach (var (key, sums) in expected)
        {
            Assert.Equal(sums, Values(rollups[key]));
        }
    }

    [Fact]
    public async Task ALateRowForAPurgedDay_IsFoldedIntoThatDaysRollup_AtTheNextRun()
    {
        var account = await _s.AccountAsync(0, 1);
        await _s.RecordAsync(Row(account, At(D, 10)), Row(account, At(D, 11)));
        await _s.PurgeAtAsync(At(D.AddDays(1), 0, 5));
        Assert.Equal(0, await _s.UsageEntitiesAsync(account));

        // A stream that began at 23:59 on D ends after the purge: its row lands in D's (already purged) partition.
        // The meter still has the deleted counter cached; it must re-create it, not lose the row.
        var late = Row(account, At(D, 23, 59), prompt: 100, completion: 50, cost: 7777);
        await _s.RecordAsync(late);
        Assert.Single(await _s.RowsAsync(account));
        Assert.DoesNotContain(_s.App.Logs.Lines, l => l.Contains("could not be written", StringComparison.Ordinal));

        await _s.PurgeAtAsync(At(D.AddDays(1), 1, 5));
        Assert.Equal(0, await _s.UsageEntitiesAsync(account));
        var rollup = Assert.Single(await _s.RollupRowsAsync(account)).Value;
        Assert.Equal([3L, 120, 60, 9777, 0, 0], Values(rollup));
    }

    [Fact]
    public async Task AShortenedUsagePeriod_TakesEffectAtTheNextRun()
    {
        var account = await _s.AccountAsync(0, 30);
        await _s.RecordAsync(Row(account, At(D, 10)), Row(account, At(D.AddDays(5), 10)));

        await _s.PurgeAtAsync(At(D.AddDays(6), 1));
        Assert.Equal(2, (await _s.RowsAsync(account)).Count);

        account = await _s.SetRetentionAsync(account, account.Retention with { UsageRetentionDays = 3 });
        await _s.PurgeAtAsync(At(D.AddDays(6), 2));
        var left = Assert.Single(await _s.RowsAsync(account));
        Assert.Equal(D.AddDays(5), DateOnly.FromDateTime(left.RequestId.CreatedAt.UtcDateTime));
    }
}
