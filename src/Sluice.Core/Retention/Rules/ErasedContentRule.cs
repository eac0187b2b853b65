using Sluice.Payloads;
using Sluice.Storage;

namespace Sluice.Retention.Rules;

/// <summary>
/// Finishes content erasures: deletes the blobs encrypted under data keys that were destroyed (an erasure that ran
/// out of budget, or blobs an instance wrote with a key it still had cached). They are unreadable already; this
/// removes the ciphertext too and clears the rows' references.
/// </summary>
internal sealed class ErasedContentRule(ContentEraser eraser, PurgeScope scope) : IPurgeRule
{
    public string Name => "erased_content";

    public async Task RunAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        await foreach (var account in scope.AccountsWithDataAsync(cancellationToken))
        {
            if (run.BudgetExhausted)
            {
                return;
            }
            if (!PurgeScope.Held(account, run, Name))
            {
                await eraser.DeleteShreddedAsync(account.Id, run, cancellationToken);
            }
        }
    }
}
