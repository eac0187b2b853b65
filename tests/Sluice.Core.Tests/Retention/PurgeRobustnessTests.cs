using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Retention;
using Sluice.Testing;
using Sluice.Usage;
using Sluice.Wire;
using static Sluice.Core.Tests.Retention.RetentionScenario;

namespace Sluice.Core.Tests.Retention;

/// <summary>
/// The purge as a whole: idempotent (a second run finds nothing), resumable (runs cut off by the budget or by
/// cancellation end in the same state as one clean run), and safe when two runs start together (the lease).
/// </summary>
public sealed class PurgeRobustnessTests
{
    /// <summary>Day D's data of three accounts, due on D+1, and today's (D+2) data, which stays.</summary>
    private sealed record Seed(List<Account> Accounts, Dictionary<string, Dictionary<string, long[]>> Sums, int KeptRows, int KeptBlobs);

    private static readonly DateTimeOffset s_purgeAt = At(D.AddDays(2), 0, 5);

    private static async Task<Seed> SeedAsync(RetentionScenario s)
    {
        var accounts = new List<Account>();
        var sums = new Dictionary<string, Dictionary<string, long[]>>();
        foreach (var i in Enumerable.Range(0, 3))
        {
            var account = await s.AccountAsync(1, 1);
            accounts.Add(account);
            await s.RecordAsync([.. Enumerable.Range(0, 25).Select(j => Row(account, At(D, j % 24, j), model: j % 2 == 0 ? "a" : "b", prompt: j))]);
            for (var j = 0; j < 4; j++)
            {
                await s.PayloadAsync(account, At(D, 10, j), 1);
            }
            await s.RecordAsync(Row(account, At(D.AddDays(2), 0, 1)));
            await s.PayloadAsync(account, At(D.AddDays(2), 0, 1), 1);
            sums[account.Id] = SumsFromRows((await s.RowsAsync(account)).Where(r => r.RequestId.CreatedAt < At(D.AddDays(1))));
        }
        return new Seed(accounts, sums, KeptRows: 1, KeptBlobs: 1);
    }

    private static async Task AssertPurgedAsync(RetentionScenario s, Seed seed)
    {
        foreach (var account in seed.Accounts)
        {
            var rows = await s.RowsAsync(account);
            Assert.Equal(seed.KeptRows, rows.Count);
            Assert.All(rows, r => Assert.Equal(D.AddDays(2), DateOnly.FromDateTime(r.RequestId.CreatedAt.UtcDateTime)));
            Assert.Equal(seed.KeptBlobs, (await s.BlobNamesAsync(account)).Count);
            var totals = await s.Get<RollupTable>().TotalsAsync(account.Id, D, D, CancellationToken.None);
            Assert.Equal(seed.Sums[account.Id].Count, totals.Count);
            foreach (var t in totals)
            {
                Assert.Equal(seed.Sums[account.Id][RollupTable.RowKey(UsageTable.DayKey(t.Day), t.Model)], Values(t));
            }
        }
    }

    [Fact]
    public async Task TwoRunsInARow_TheSecondFindsNothingToDo_AndTheStateIsTheSame()
    {
        await using var s = await RetentionScenario.StartAsync();
        var seed = await SeedAsync(s);

        var first = await s.PurgeAtAsync(s_purgeAt);
        var second = await s.PurgeAtAsync(s_purgeAt);

        Assert.Equal("completed", first.Status);
        Assert.True(first.Counts.GetValueOrDefault("usage_rows") >= 75);
        Assert.True(first.Counts.GetValueOrDefault("payload_blobs") >= 12);
        Assert.Equal("completed", second.Status);
        Assert.Equal(0, second.Counts.Where(c => c.Key is "usage_rows" or "payload_blobs" or "usage_counters" or "rollups" or "audit_entries").Sum(c => c.Value));
        await AssertPurgedAsync(s, seed);
    }

    [Fact]
    public async Task RunsStoppedByASmallBudget_ResumeWhereTheyStopped_AndEndAsOneCleanRunDoes()
    {
        await using var s = await RetentionScenario.StartAsync(("Sluice:Retention:MaxDeletesPerRun", "7"), ("Sluice:Retention:PurgeBatchSize", "3"));
        var seed = await SeedAsync(s);

        var first = await s.PurgeAtAsync(s_purgeAt);
        Assert.Equal("incomplete_budget", first.Status);
        Assert.True(first.Remaining);
        Assert.Equal(7, first.Counts.Where(c => c.Key is "usage_rows" or "payload_blobs" or "usage_counters").Sum(c => c.Value));

        var runs = await s.PurgeUntilDoneAsync(s_purgeAt);
        Assert.True(runs > 5);
        await AssertPurgedAsync(s, seed);
    }

    [Fact]
    public async Task RunsCancelledPartWay_AreFinishedByTheNextRun()
    {
        await using var s = await RetentionScenario.StartAsync(("Sluice:Retention:PurgeBatchSize", "2"));
        var seed = await SeedAsync(s);
        s.SetNow(s_purgeAt);
        var engine = s.Get<PurgeEngine>();
        var cancelled = 0;
        foreach (var ms in (int[])[1, 40, 80, 160])
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(ms));
            try
            {
                await engine.RunAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
        }

        Assert.True(cancelled > 0);
        Assert.Equal("completed", (await engine.RunAsync(CancellationToken.None)).Status);
        await AssertPurgedAsync(s, seed);
    }

    [Fact]
    public async Task TwoRunsStartedTogether_OnTwoInstances_OneHoldsTheLease_AndTheResultIsOneCleanRun()
    {
        await using var s = await RetentionScenario.StartAsync(("Sluice:Retention:PurgeBatchSize", "2"));
        var seed = await SeedAsync(s);
        await using var other = await SluiceApplication.StartAsync(SharedStorage.With(s.App, ("Sluice:Retention:PurgeBatchSize", "2")), s.Time);
        s.SetNow(s_purgeAt);

        var results = await Task.WhenAll(s.Get<PurgeEngine>().RunAsync(CancellationToken.None),
            other.Services.GetRequiredService<PurgeEngine>().RunAsync(CancellationToken.None));

        Assert.Equal(["completed", "skipped_lease_held"], results.Select(r => r.Status).Order(StringComparer.Ordinal));
        await AssertPurgedAsync(s, seed);
    }
}
