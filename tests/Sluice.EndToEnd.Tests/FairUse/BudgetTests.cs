using System.Net;
using Sluice.EndToEnd.Tests.Accounts;
using Sluice.FairUse;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.FairUse;

/// <summary>Spend budgets: refused with 403 <c>budget_exceeded</c> once the spend reaches the cap, naming the budget,
/// its period and when it resets; served again in the next period; the soft threshold audited once.</summary>
public sealed class BudgetTests
{
    [Fact]
    public async Task KeyDailyBudget_RefusesOnceSpent_NamesIt_AndServesAgainTheNextUtcDay()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        var (keyId, key) = await app.CreateKeyAsync(account.Id, "developer");
        await app.SetLimitsAsync(owner, keyId, """{"daily_budget_usd":0.01}""");

        // About $0.004 each: the third starts below the cap and takes the spend past it.
        for (var i = 0; i < 3; i++)
        {
            var served = await app.ChatAsync(key, "budget " + i);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        var refused = await app.ChatAsync(key, "one too many");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var error = (await refused.BodyAsync()).GetProperty("error");
        Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("key's daily budget of $0.01", message, StringComparison.Ordinal);
        Assert.Contains("2026-03-02", message, StringComparison.Ordinal);
        Assert.Contains("resets at 2026-03-03T00:00:00Z", message, StringComparison.Ordinal);
        // The account's other keys are not this key's budget.
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(owner)).StatusCode);

        // The refusal has its row: status, code, no tokens, no cost.
        var rows = await UsageRows.ForAccountAsync(app, account.Id, expected: 5);
        var row = Assert.Single(rows, r => r.GetInt32("Status") == 403);
        Assert.Equal("budget_exceeded", row.GetString("ErrorCode"));
        Assert.Equal(0, row.GetInt32("PromptTokens") ?? 0);
        Assert.Equal(0, row.GetInt64("CostNanoUsd") ?? 0);

        clock.Advance(TimeSpan.FromHours(14));
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "a new day")).StatusCode);
    }

    [Fact]
    public async Task AccountMonthlyBudget_RefusesEveryKeyOnceSpent_UntilTheNextMonth_AndTheThresholdIsAuditedOnce()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        var (_, developer) = await app.CreateKeyAsync(account.Id, "developer");
        await app.SetLimitsAsync(owner, null, """{"monthly_budget_usd":0.04}""");

        // About $0.004 a request, a second apart: two or three requests start between 80 % and 100 % of the budget.
        var served = 0;
        HttpResponseMessage response;
        while ((response = await app.ChatAsync(served % 2 == 0 ? developer : owner, "month " + served)).StatusCode == HttpStatusCode.OK)
        {
            served++;
            Assert.True(served < 30, "The budget never refused.");
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        // Refused once the spend (the rows' cost) reached the cap, not before.
        // RowKeys start with inverted milliseconds: the last request served has the smallest.
        var costs = (await UsageRows.ForAccountAsync(app, account.Id, expected: served + 1))
            .Where(r => r.GetInt32("Status") == 200).OrderBy(r => r.RowKey, StringComparer.Ordinal).Select(r => r.GetInt64("CostNanoUsd") ?? 0).ToList();
        Assert.Equal(served, costs.Count);
        Assert.True(costs.Sum() >= 40_000_000 && costs.Sum() - costs[0] < 40_000_000, $"{served} requests cost {costs.Sum()} nano-USD.");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var message = (await response.BodyAsync()).GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("account's monthly budget of $0.04", message, StringComparison.Ordinal);
        Assert.Contains("resets at 2026-04-01T00:00:00Z", message, StringComparison.Ordinal);
        Assert.Equal("budget_exceeded", await (await app.ChatAsync(developer)).ErrorCodeAsync());

        // A new day of the same month: still spent, also after the background refresh reads the rollups.
        clock.Advance(TimeSpan.FromDays(1));
        await app.Gate().RefreshAsync(CancellationToken.None);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ChatAsync(developer)).StatusCode);

        // The 80 % mark was passed once: one entry, however many requests followed it.
        var notes = await app.AuditAsync(owner, FairUseGate.ThresholdAction);
        var note = Assert.Single(notes);
        Assert.Equal(account.Id, note.GetProperty("target").GetString());
        Assert.Contains("monthly_budget_usd=0.04", note.GetProperty("details").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, note.GetProperty("count").GetInt32());

        clock.SetUtcNow(new DateTimeOffset(2026, 4, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(developer, "april")).StatusCode);
    }

    [Fact]
    public async Task KeyBudgetSpentOnOneInstance_RefusesOnTheOther_AfterOneRefreshOfEach()
    {
        var clock = AccountApi.Clock();
        await using var first = await FairUseApi.StartAsync(clock);
        await using var second = await FairUseApi.StartSecondInstanceAsync(first, clock);
        var (account, owner) = await first.CreateAccountAsync();
        var (keyId, key) = await first.CreateKeyAsync(account.Id, "developer");
        await first.SetLimitsAsync(owner, keyId, """{"daily_budget_usd":0.01}""");
        Assert.Equal(HttpStatusCode.OK, (await second.ChatAsync(key, "second knows the key")).StatusCode);

        for (var i = 0; (await first.ChatAsync(key, "spend on the first")).StatusCode == HttpStatusCode.OK; i++)
        {
            Assert.True(i < 10, "The budget never refused.");
        }
        // Until the first writes its spend and the second reads it, the second sees only its own: the staleness bound.
        await first.Gate().RefreshAsync(CancellationToken.None);
        await second.Gate().RefreshAsync(CancellationToken.None);

        var refused = await second.ChatAsync(key, "spent elsewhere");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("budget_exceeded", await refused.ErrorCodeAsync());
    }
}
