using Azure.Data.Tables;
using Sluice.Accounts;
using static Sluice.Core.Tests.Retention.RetentionScenario;

namespace Sluice.Core.Tests.Retention.Rules;

public sealed class AuditEntriesRuleTests : IAsyncLifetime
{
    private RetentionScenario _s = null!;

    public async Task InitializeAsync() => _s = await RetentionScenario.StartAsync(("Sluice:Retention:AuditRetentionDays", "5"));

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task AuditEntriesOfDayD_AreKeptThroughDayDPlus4_AndGoneOnDayDPlus5_ForAccountsAndTheStamp()
    {
        var account = await _s.AccountAsync(0, 30);
        var audit = _s.Get<AuditLog>();
        foreach (var partition in (string[])[account.Id, AuditLog.StampPartition])
        {
            await audit.WriteAsync(new AuditEntry(partition, At(D, 0, 0, 0), "t", "early", null, null, null), CancellationToken.None);
            await audit.WriteAsync(new AuditEntry(partition, At(D, 23, 59, 59), "t", "late", null, null, null), CancellationToken.None);
            await audit.WriteAsync(new AuditEntry(partition, At(D.AddDays(1)), "t", "next_day", null, null, null), CancellationToken.None);
        }

        await _s.PurgeAtAsync(At(D.AddDays(4), 23, 59, 59));
        Assert.Equal(["early", "late", "next_day"], await ActionsAsync(account.Id));
        Assert.Equal(["early", "late", "next_day"], await ActionsAsync(AuditLog.StampPartition));

        await _s.PurgeAtAsync(At(D.AddDays(5), 0, 0, 1));
        Assert.Equal(["next_day"], await ActionsAsync(account.Id));
        // The stamp partition now also holds the purge runs' own entries, if any; D's are gone.
        Assert.DoesNotContain("early", await ActionsAsync(AuditLog.StampPartition));
        Assert.DoesNotContain("late", await ActionsAsync(AuditLog.StampPartition));
    }

    private async Task<List<string>> ActionsAsync(string partition)
    {
        var actions = new List<string>();
        await foreach (var e in _s.App.Storage.Audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}")))
        {
            var action = e.GetString("Action")!;
            if (action is "early" or "late" or "next_day")
            {
                actions.Add(action);
            }
        }
        actions.Sort(StringComparer.Ordinal);
        return actions;
    }
}
