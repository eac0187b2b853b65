using Azure.Data.Tables;
using Sluice.Core.Tests.Retention;
using Sluice.Usage;
using static Sluice.Core.Tests.Retention.RetentionScenario;

namespace Sluice.Core.Tests.Usage;

/// <summary>Rollups break down by the surface that served (the row's <c>Endpoint</c>), open and materialised, and
/// need no migration: counters and rollup rows written before the breakdown read as Chat Completions.</summary>
public sealed class RollupEndpointTests
{
    private static readonly string?[] s_endpoints = [null, "chat.completions", "messages", "responses", "embeddings", "messages.count_tokens"];

    [Fact]
    public async Task Totals_BreakDownBySurface_AsTheRowsDo_BeforeAndAfterTheDayIsMaterialised()
    {
        await using var s = await RetentionScenario.StartAsync(("Sluice:Retention:RollupCloseDelay", "01:00:00"), ("Sluice:Usage:PartitionShards", "2"));
        var account = await s.AccountAsync(0, 30);
        var rows = Enumerable.Range(0, 60).Select(i => Row(account, At(D, 1 + i % 20, i % 60), model: i % 4 == 0 ? "gpt-a" : "claude-b",
            prompt: 3 + i, completion: i % 7, cost: 100 * i, status: i % 9 == 0 ? 502 : 200, estimated: i % 5 == 0) with { Endpoint = s_endpoints[i % s_endpoints.Length] }).ToList();
        await s.RecordAsync([.. rows]);

        var expected = rows.GroupBy(r => (r.Model, Endpoint: r.Endpoint ?? "chat.completions"))
            .ToDictionary(g => g.Key, g => Sums(g));
        AssertTotals(expected, await TotalsAsync(s, account.Id), materialized: false);

        await s.PurgeAtAsync(At(D.AddDays(1), 1, 0, 1));
        AssertTotals(expected, await TotalsAsync(s, account.Id), materialized: true);
        // The rollup row of each model keeps its totals over every surface.
        foreach (var (key, entity) in await s.RollupRowsAsync(account))
        {
            var model = entity.GetString("Model");
            Assert.Equal(Sums(rows.Where(r => r.Model == model)), Values(entity));
        }
    }

    [Fact]
    public async Task ACounterAndARollupWrittenBeforeTheBreakdown_ReadAsChatCompletions_AndLaterRowsOfOtherSurfacesAreTheirOwn()
    {
        await using var s = await RetentionScenario.StartAsync(("Sluice:Usage:PartitionShards", "1"));
        var account = await s.AccountAsync(0, 30);
        var yesterday = UsageTable.DayKey(D.AddDays(-1));
        var today = UsageTable.DayKey(D);
        // As the gateway wrote them before the breakdown: a materialised rollup row (parts under bare keys) and the
        // watermark for yesterday; today's counter without a breakdown.
        await s.App.Storage.Rollups.AddEntityAsync(new TableEntity(account.Id, RollupTable.RowKey(yesterday, "gpt-a"))
        {
            ["Day"] = yesterday, ["Model"] = "gpt-a", ["Requests"] = 4L, ["PromptTokens"] = 40L, ["CompletionTokens"] = 20L,
            ["CostNanoUsd"] = 400L, ["Errors"] = 1L, ["Estimated"] = 0L, ["Parts"] = """{"0:abc":[4,40,20,400,1,0]}""",
        });
        await s.App.Storage.Rollups.AddEntityAsync(new TableEntity(account.Id, "~materialized") { ["Through"] = yesterday });
        await s.App.Storage.Usage.AddEntityAsync(new TableEntity(UsageTable.PartitionKey(account.Id, today, 0), UsageTable.CounterRowKey("gpt-a"))
        {
            ["Model"] = "gpt-a", ["Requests"] = 2L, ["PromptTokens"] = 10L, ["CompletionTokens"] = 6L, ["CostNanoUsd"] = 50L,
            ["Errors"] = 0L, ["Estimated"] = 1L, ["Generation"] = "0123456789ab",
        });

        var totals = await TotalsAsync(s, account.Id);
        Assert.Equal(2, totals.Count);
        Assert.All(totals, t => Assert.Equal("chat.completions", t.Endpoint));
        Assert.Equal([4, 40, 20, 400, 1, 0], Values(totals.Single(t => t.Day == D.AddDays(-1))));
        Assert.Equal([2, 10, 6, 50, 0, 1], Values(totals.Single(t => t.Day == D)));

        // Rows of other surfaces after the upgrade go to the same counter, and come out as their own.
        await s.RecordAsync(
            Row(account, At(D, 9), model: "gpt-a", prompt: 7, completion: 3, cost: 70) with { Endpoint = "messages" },
            Row(account, At(D, 10), model: "gpt-a", prompt: 5, completion: 0, cost: 5, status: 400) with { Endpoint = "responses" },
            Row(account, At(D, 11), model: "gpt-a", prompt: 1, completion: 1, cost: 1) with { Endpoint = "chat.completions" });
        var today2 = (await TotalsAsync(s, account.Id)).Where(t => t.Day == D).ToDictionary(t => t.Endpoint);
        Assert.Equal(["chat.completions", "messages", "responses"], today2.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([3, 11, 7, 51, 0, 1], Values(today2["chat.completions"]));
        Assert.Equal([1, 7, 3, 70, 0, 0], Values(today2["messages"]));
        Assert.Equal([1, 5, 0, 5, 1, 0], Values(today2["responses"]));

        // Folding the grown counter over an old-style part of it (written before the breakdown) moves each surface's
        // share to its own part: nothing is counted twice.
        var counters = await s.Get<RollupTable>().ReadDayCountersAsync(account.Id, today, CancellationToken.None);
        await s.App.Storage.Rollups.AddEntityAsync(new TableEntity(account.Id, RollupTable.RowKey(today, "gpt-a"))
        {
            ["Day"] = today, ["Model"] = "gpt-a", ["Parts"] = $$"""{"{{counters.Single().PartKey}}":[5,23,10,126,1,1]}""",
        });
        await s.Get<RollupTable>().FoldAsync(account.Id, today, counters, CancellationToken.None);
        await s.Get<RollupTable>().SetWatermarkAsync(account.Id, D, CancellationToken.None);
        var folded = (await TotalsAsync(s, account.Id)).Where(t => t.Day == D).ToDictionary(t => t.Endpoint);
        Assert.All(folded.Values, t => Assert.True(t.Materialized));
        Assert.Equal([3, 11, 7, 51, 0, 1], Values(folded["chat.completions"]));
        Assert.Equal([1, 7, 3, 70, 0, 0], Values(folded["messages"]));
        Assert.Equal([1, 5, 0, 5, 1, 0], Values(folded["responses"]));
    }

    private static Task<List<DailyRollup>> TotalsAsync(RetentionScenario s, string accountId) =>
        s.Get<RollupTable>().TotalsAsync(accountId, D.AddDays(-1), D.AddDays(1), CancellationToken.None);

    private static long[] Sums(IEnumerable<UsageRecord> rows) =>
    [
        rows.Count(), rows.Sum(r => (long)r.PromptTokens), rows.Sum(r => (long)r.CompletionTokens), rows.Sum(r => r.CostNanoUsd),
        rows.Count(r => r.IsError), rows.Count(r => r.UsageEstimated),
    ];

    private static void AssertTotals(Dictionary<(string Model, string Endpoint), long[]> expected, List<DailyRollup> totals, bool materialized)
    {
        Assert.Equal(expected.Keys.Order(), totals.Select(t => (t.Model, t.Endpoint)).Order());
        Assert.All(totals, t =>
        {
            Assert.Equal(expected[(t.Model, t.Endpoint)], Values(t));
            Assert.Equal(materialized, t.Materialized);
        });
    }
}
