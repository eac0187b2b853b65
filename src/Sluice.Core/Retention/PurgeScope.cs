using System.Runtime.CompilerServices;
using Sluice.Accounts;
using Sluice.Storage;

namespace Sluice.Retention;

/// <summary>
/// The accounts the retention rules work through, one partition query per rule. A legal hold blocks every purge of
/// its account: <see cref="Held"/> tells a rule so, and notes the skip in the run record.
/// </summary>
public sealed class PurgeScope(AccountStore accounts)
{
    /// <summary>Every account that can still hold data (all but purged tombstones).</summary>
    public async IAsyncEnumerable<Account> AccountsWithDataAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var account in accounts.ListAsync(null, cancellationToken))
        {
            if (account.State != AccountState.Purged)
            {
                yield return account;
            }
        }
    }

    /// <summary>Every account, tombstones included (their audit entries still age out).</summary>
    public IAsyncEnumerable<Account> AllAccountsAsync(CancellationToken cancellationToken) => accounts.ListAsync(null, cancellationToken);

    /// <summary>Ids of the accounts under legal hold right now.</summary>
    public async Task<HashSet<string>> HeldAccountsAsync(CancellationToken cancellationToken)
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var account in accounts.ListAsync(null, cancellationToken))
        {
            if (account.LegalHold is not null)
            {
                held.Add(account.Id);
            }
        }
        return held;
    }

    /// <summary>True, with a note in the run record, when a legal hold keeps <paramref name="rule"/> away from the account.</summary>
    public static bool Held(Account account, PurgeRun run, string rule)
    {
        if (account.LegalHold is null)
        {
            return false;
        }
        run.Note($"{rule}: skipped {account.Id} (legal hold)");
        return true;
    }
}
