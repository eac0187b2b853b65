using Azure.Data.Tables;
using Sluice.Accounts;
using Sluice.Retention;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>
/// The same account, seeded the same way in two apps, purged once with the default budget and once with a budget of
/// three deletions per run, so every run stops partway through a step. Re-running until done must reach exactly
/// the state the clean run reached: nothing left, the same tombstone, one proof entry with the same totals.
/// </summary>
public sealed class AccountPurgeResumeTests
{
    private const int SmallBudget = 3;

    [Fact]
    public async Task PurgeInterruptedByItsBudget_RerunUntilDone_EndsInTheSameStateAsOneCleanRun()
    {
        var clean = await PurgeScenarioAsync(maxDeletesPerRun: null);
        var interrupted = await PurgeScenarioAsync(maxDeletesPerRun: SmallBudget);

        var cleanRun = Assert.Single(clean.Runs);
        Assert.Equal("completed", cleanRun.Status);
        Assert.True(interrupted.Runs.Count > 5, $"{interrupted.Runs.Count} runs");
        Assert.All(interrupted.Runs[..^1], r => Assert.Equal("incomplete_budget", r.Status));
        Assert.Equal("completed", interrupted.Runs[^1].Status);
        // Each run kept to its budget (a key's two entries go together, so one run may end one over).
        Assert.All(interrupted.Runs, r => Assert.InRange(AccountPurge.Kinds.Sum(k => r.Counts.GetValueOrDefault(k)), 0, SmallBudget + 1));
        // Halfway, the account was still expired, marked as being purged, with its totals so far on the row.
        Assert.Contains(interrupted.Midway, a => a.State == AccountState.Expired && a.PurgeStartedAt is not null && a.PurgeCounts.Values.Sum() > 0);

        foreach (var outcome in new[] { clean, interrupted })
        {
            Assert.Equal(0, outcome.After.Total);
            Assert.Empty(outcome.Leftovers);
            Assert.Equal(AccountState.Purged, outcome.Tombstone.State);
            Assert.Equal(outcome.Before.UsageRows, outcome.Tombstone.PurgeCounts["usage_rows"]);
            Assert.Equal(outcome.Before.KeyEntries, outcome.Tombstone.PurgeCounts["keys"]);
            Assert.Equal(outcome.BystanderBefore, outcome.BystanderAfter);
        }
        Assert.Equal(clean.Before, interrupted.Before);
        Assert.Equal(Normalised(clean.Tombstone), Normalised(interrupted.Tombstone));
        Assert.Equal(clean.Proof, interrupted.Proof);
    }

    private static string Normalised(Account a) =>
        $"{a.State} {a.Name} {a.CreatedAt:O} {a.ExpiredAt:O} {a.ExpiryReason} {a.PurgeStartedAt:O} {a.PurgedAt:O} {string.Join(',', a.IpAllowlist)} " +
        string.Join(',', a.PurgeCounts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"));

    private sealed record Outcome(List<PurgeRunResult> Runs, List<Account> Midway, AccountFootprint Before, AccountFootprint After,
        List<string> Leftovers, Account Tombstone, string Proof, AccountFootprint BystanderBefore, AccountFootprint BystanderAfter);

    private static async Task<Outcome> PurgeScenarioAsync(int? maxDeletesPerRun)
    {
        var settings = new Dictionary<string, string?>
        {
            // One partition per day, so both apps store exactly the same number of usage and counter rows.
            ["Sluice:Usage:PartitionShards"] = "1",
            ["Sluice:Retention:PurgeBatchSize"] = "2",
        };
        if (maxDeletesPerRun is { } budget)
        {
            settings["Sluice:Retention:MaxDeletesPerRun"] = budget.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        await using var app = await SluiceApplication.StartAsync(settings, AccountApi.Clock());
        var (account, owner) = await app.CreateAccountAsync("Resume Inc");
        var (_, developer) = await app.CreateKeyAsync(account.Id, "developer");
        await app.CreateKeyAsync(account.Id, "restricted", "mock");
        await app.SeedUsageAsync(account.Id, developer, count: 4);
        app.AdvanceDays(1);
        await app.SeedUsageAsync(account.Id, owner, count: 2);
        await AccountFootprint.SeedStoredContentAsync(app, owner);
        var (bystander, bystanderOwner) = await app.CreateAccountAsync("Bystander");
        await app.SeedUsageAsync(bystander.Id, bystanderOwner, count: 2);
        await app.CloseAsync(account.Id, owner);

        // Day 2: both seeded days are rolled up; the account is due 30 days after its closure on day 1.
        await AccountFootprint.MaterialiseAsync(app);
        app.AdvanceDays(30);
        var before = await AccountFootprint.ReadAsync(app, account.Id);
        var bystanderBefore = await AccountFootprint.ReadAsync(app, bystander.Id);
        var runs = new List<PurgeRunResult>();
        var midway = new List<Account>();
        do
        {
            runs.Add(await app.PurgeAsync());
            midway.Add((await app.StoredAccountAsync(account.Id))!);
        }
        while (runs[^1].Status != "completed" && runs.Count < 200);

        var proof = "";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {AuditLog.StampPartition} and Target eq {account.Id}");
        await foreach (var e in app.Storage.Audit.QueryAsync<TableEntity>(filter))
        {
            Assert.Equal("", proof);
            // The run that finished differs by construction; everything else must match.
            var details = e.GetString("Details")!;
            proof = $"{e.GetString("Action")} {e.GetDateTimeOffset("Time"):O} {details[..details.IndexOf("; run=", StringComparison.Ordinal)]}";
        }
        return new Outcome(runs, midway, before, await AccountFootprint.ReadAsync(app, account.Id), await AccountFootprint.LeftoversAsync(app, account.Id),
            (await app.StoredAccountAsync(account.Id))!, proof, bystanderBefore, await AccountFootprint.ReadAsync(app, bystander.Id));
    }
}
