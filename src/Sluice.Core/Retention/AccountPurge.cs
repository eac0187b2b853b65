using System.Globalization;
using Sluice.Accounts;
using Sluice.FairUse;
using Sluice.Payloads;
using Sluice.Storage;
using Sluice.Usage;

namespace Sluice.Retention;

/// <summary>
/// Removes everything of one account whose expired-retention period has ended, in a fixed order, within a purge
/// run's budget:
/// <list type="number">
/// <item>content: its data keys first (crypto-shredding), then its payload blobs (<see cref="ContentEraser"/>);</item>
/// <item>usage rows and counters (PartitionKey range <see cref="UsageTable.AccountPrefix"/>), then daily rollups;</item>
/// <item>keys, both entries of each;</item>
/// <item>its fair-use rows (limits, spend shares, rate counters, threshold notes: <see cref="LimitStore.DeleteAccountAsync"/>);</item>
/// <item>its audit partition;</item>
/// <item>a stamp-level audit entry with the totals, then the tombstone (<see cref="AccountTransitions.Tombstone"/>).</item>
/// </list>
/// Each step is a key-range delete that is safe to repeat, so a run cut off anywhere (budget, lease, crash) is finished
/// by the next run, which starts again at step 1 and finds the finished steps empty. What each run deleted is added to
/// the account row before it stops, so the final totals cover every run.
/// </summary>
public sealed class AccountPurge(AccountStore accounts, KeyStore keys, MemberStore members, ContentEraser content, UsageTable usage, RollupTable rollups,
    LimitStore limits, AuditLog audit, GatewayAuthenticator authenticator)
{
    /// <summary>The kinds a purge counts, in the order it deletes them; the audit entry lists them in this order.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["data_keys", "payload_blobs", "usage_rows", "rollups", "keys", "members", "invitations", "audit_entries"];

    /// <summary>Purges <paramref name="account"/>; true when it is a tombstone now, false when the budget ran out first
    /// (or another writer changed the account: the next run decides again).</summary>
    public async Task<bool> PurgeAsync(Account account, PurgeRun run, CancellationToken cancellationToken)
    {
        if (account.PurgeStartedAt is null)
        {
            // Fixed once: it keys the purge's audit entry, so a purge spread over several runs writes that entry once.
            if (await accounts.TryUpdateAsync(account with { PurgeStartedAt = run.Now }, cancellationToken) is not { } started)
            {
                return false;
            }
            account = started;
        }
        var counts = Kinds.ToDictionary(k => k, k => account.PurgeCounts.GetValueOrDefault(k), StringComparer.Ordinal);
        var before = run.Counts.ToDictionary(StringComparer.Ordinal);

        await content.EraseAccountAsync(account.Id, run, cancellationToken);
        if (!run.BudgetExhausted)
        {
            await usage.DeleteAccountAsync(account.Id, run, cancellationToken);
        }
        if (!run.BudgetExhausted)
        {
            await rollups.DeleteAccountAsync(account.Id, run, cancellationToken);
        }
        if (!run.BudgetExhausted)
        {
            await keys.DeleteAllAsync(account.Id, run, cancellationToken);
        }
        if (!run.BudgetExhausted)
        {
            await limits.DeleteAccountAsync(account.Id, run, cancellationToken);
        }
        if (!run.BudgetExhausted)
        {
            await members.DeleteAllAsync(account.Id, run, cancellationToken);
        }
        if (!run.BudgetExhausted)
        {
            await audit.DeleteAccountAsync(account.Id, run, cancellationToken);
        }
        foreach (var kind in Kinds)
        {
            counts[kind] += run.Counts.GetValueOrDefault(kind) - before.GetValueOrDefault(kind);
        }

        // A step that ends exactly on the budget may be complete or not; only a run with budget left knows every step
        // found nothing more. Otherwise keep the totals so far and let the next run finish.
        if (run.BudgetExhausted)
        {
            await accounts.TryUpdateAsync(account with { PurgeCounts = counts }, cancellationToken);
            return false;
        }
        // The proof first, then the tombstone: a crash between the two leaves an expired account whose next run rewrites
        // the same entry (its key is fixed) and then writes the tombstone. If the account changed meanwhile (an operator
        // placed a legal hold during this run), the tombstone write fails and the proof is withdrawn.
        var tombstone = AccountTransitions.Tombstone(account, run.Now, counts);
        var (proofTime, proofId) = (account.PurgeStartedAt!.Value, "purge_" + account.Id);
        await audit.WriteOnceAsync(new AuditEntry(AuditLog.StampPartition, run.Now, AccountLifecycle.PurgeActor, "account.purged", account.Id,
            SourceIp: null, Summary(account, tombstone, run.Id)), proofTime, proofId, cancellationToken);
        var written = await accounts.TryUpdateAsync(tombstone, cancellationToken);
        authenticator.Forget(account.Id);
        if (written is null)
        {
            await audit.RetractOnceAsync(AuditLog.StampPartition, proofTime, proofId, CancellationToken.None);
            return false;
        }
        run.Changed("accounts_purged");
        return true;
    }

    /// <summary>The purge's record: totals by kind, the dates and reason that made it due (the tombstone keeps no reason),
    /// and the run that finished it.</summary>
    public static string Summary(Account expired, Account tombstone, string runId) => string.Create(CultureInfo.InvariantCulture,
        $"{string.Join(", ", Kinds.Select(k => $"{k}={tombstone.PurgeCounts.GetValueOrDefault(k)}"))}; " +
        $"expired_at={tombstone.ExpiredAt:O}; expiry_reason={expired.ExpiryReason}; purge_started_at={tombstone.PurgeStartedAt:O}; run={runId}");
}
