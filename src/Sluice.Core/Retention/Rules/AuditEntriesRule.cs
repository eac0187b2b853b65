using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Storage;

namespace Sluice.Retention.Rules;

/// <summary>
/// Deletes audit entries past <see cref="PurgeOptions.AuditRetentionDays"/>: per account partition (and the
/// stamp's own), the entries older than a cut-off are one RowKey range, since RowKeys are inverted ticks.
/// </summary>
internal sealed class AuditEntriesRule(SluiceStorage storage, PurgeScope scope, IOptionsMonitor<PurgeOptions> options) : IPurgeRule
{
    public string Name => "audit_entries";

    public async Task RunAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        var firstKept = new DateTimeOffset(run.Today.AddDays(1 - options.CurrentValue.AuditRetentionDays).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        // Entries at firstKept have RowKey "{RowKey(firstKept)}_…", below this bound ('_' < '~'); older ones sort above it.
        var bound = AuditLog.RowKey(firstKept) + "~";
        await DeleteOlderAsync(AuditLog.StampPartition, bound, run, cancellationToken);
        await foreach (var account in scope.AllAccountsAsync(cancellationToken))
        {
            if (run.BudgetExhausted)
            {
                return;
            }
            if (!PurgeScope.Held(account, run, Name))
            {
                await DeleteOlderAsync(account.Id, bound, run, cancellationToken);
            }
        }
    }

    private Task<long> DeleteOlderAsync(string partition, string bound, PurgeRun run, CancellationToken cancellationToken) =>
        TableDeletes.DeleteWhereAsync(storage.Audit, TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {bound}"),
            run, "audit_entries", cancellationToken);
}
