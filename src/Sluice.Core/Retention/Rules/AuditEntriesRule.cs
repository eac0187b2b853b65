using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Storage;

namespace Sluice.Retention.Rules;

/// <summary>
/// Deletes audit entries past <see cref="PurgeOptions.AuditRetentionDays"/>: per account partition (and the
/// stamp's own), the entries older than a cut-off are one RowKey range, since RowKeys are inverted ticks.
/// </summary>
internal sealed class AuditEntriesRule(AuditLog audit, PurgeScope scope, IOptionsMonitor<PurgeOptions> options) : IPurgeRule
{
    public string Name => "audit_entries";

    public async Task RunAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        var firstKept = new DateTimeOffset(run.Today.AddDays(1 - options.CurrentValue.AuditRetentionDays).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        await audit.DeleteBeforeAsync(AuditLog.StampPartition, firstKept, run, cancellationToken);
        await foreach (var account in scope.AllAccountsAsync(cancellationToken))
        {
            if (run.BudgetExhausted)
            {
                return;
            }
            if (!PurgeScope.Held(account, run, Name))
            {
                await audit.DeleteBeforeAsync(account.Id, firstKept, run, cancellationToken);
            }
        }
    }
}
