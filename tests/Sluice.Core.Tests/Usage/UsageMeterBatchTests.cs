using Sluice.Core.Tests.Retention;
using Sluice.Usage;
using static Sluice.Core.Tests.Retention.RetentionScenario;

namespace Sluice.Core.Tests.Usage;

/// <summary>Group commit under a burst into one partition: transactions stay within 100 entities, rows and counters
/// together, so nothing is dropped (a 101-entity transaction fails as a whole).</summary>
public sealed class UsageMeterBatchTests
{
    [Fact]
    public async Task ABurstIntoOnePartition_IsWrittenWhole_AndTheCounterMatches()
    {
        await using var s = await RetentionScenario.StartAsync(("Sluice:Usage:PartitionShards", "1"));
        var account = await s.AccountAsync(0, 30);

        await s.RecordAsync([.. Enumerable.Range(0, 1000).Select(i => Row(account, At(D, 12, i % 60, i % 60), prompt: 1))]);

        Assert.Equal(1000, (await s.RowsAsync(account)).Count);
        Assert.DoesNotContain(s.App.Logs.Lines, l => l.Contains("could not be written", StringComparison.Ordinal));
        var total = Assert.Single(await s.Get<RollupTable>().TotalsAsync(account.Id, D, D, CancellationToken.None));
        Assert.Equal(1000, total.Requests);
    }
}
