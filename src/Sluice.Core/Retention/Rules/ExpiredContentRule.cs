using Sluice.Payloads;
using Sluice.Storage;

namespace Sluice.Retention.Rules;

/// <summary>
/// Deletes payload blobs whose content period has ended. Content of UTC day D kept N days is tagged
/// <c>expires = D+N</c>, so one tag query (<c>expires &lt;= today</c>) finds every blob due, whatever its account.
/// A period shortened since the blob was written is honoured per account, by its <c>created</c> tag
/// (<c>created &lt;= today − N</c>), so the change takes effect at the next run. Lengthening a period never brings
/// anything back: a blob is only ever deleted.
/// </summary>
internal sealed class ExpiredContentRule(PayloadStore payloads, PurgeScope scope) : IPurgeRule
{
    public string Name => "expired_content";

    public async Task RunAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        var held = await scope.HeldAccountsAsync(cancellationToken);
        var (_, complete) = await payloads.DeleteExpiredAsync(run.Today, held, run, cancellationToken);
        if (!complete)
        {
            return;
        }
        await foreach (var account in scope.AccountsWithDataAsync(cancellationToken))
        {
            if (run.BudgetExhausted)
            {
                return;
            }
            if (PurgeScope.Held(account, run, Name))
            {
                continue;
            }
            await payloads.DeleteCreatedThroughAsync(account.Id, run.Today.AddDays(-account.Retention.ContentRetentionDays), run, cancellationToken);
        }
    }
}
