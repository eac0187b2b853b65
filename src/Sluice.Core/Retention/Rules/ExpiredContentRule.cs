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
internal sealed class ExpiredContentRule(SluiceStorage storage, PurgeScope scope) : IPurgeRule
{
    public string Name => "expired_content";

    public async Task RunAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        var held = await scope.HeldAccountsAsync(cancellationToken);
        var (_, complete) = await TaggedBlobDeletes.DeleteAsync(storage.Payloads, $"\"expires\" <= '{PayloadStore.Day(run.Today)}'", run, "payload_blobs",
            keep: name => PayloadStore.TryParseBlobName(name, out var accountId, out _) && held.Contains(accountId),
            afterDelete: null, cancellationToken);
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
            var cutoff = PayloadStore.Day(run.Today.AddDays(-account.Retention.ContentRetentionDays));
            await TaggedBlobDeletes.DeleteAsync(storage.Payloads, $"\"account\" = '{account.Id}' AND \"created\" <= '{cutoff}'", run,
                "payload_blobs", keep: null, afterDelete: null, cancellationToken);
        }
    }
}
