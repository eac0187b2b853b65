using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Storage;

namespace Sluice.Retention.Rules;

/// <summary>
/// Purges every expired account whose expired-retention period (<see cref="AccountOptions.ExpiredRetentionDays"/>) has
/// ended, unless a legal hold protects it: then it is skipped, and the run's notes and the log say so. The purge of
/// one account is <see cref="AccountPurge"/>; this rule chooses which, and stops when the run's budget is spent (the
/// next run resumes the account it was working on).
/// </summary>
public sealed partial class ExpiredAccountsRule(AccountStore accounts, AccountPurge purge, IOptions<AccountOptions> options,
    ILogger<ExpiredAccountsRule> logger) : IPurgeRule
{
    public string Name => "expired_accounts";

    public async Task RunAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        var due = new List<Account>();
        await foreach (var account in accounts.ListAsync(AccountState.Expired, cancellationToken))
        {
            if (account.PurgeAfter(options.Value) <= run.Now)
            {
                due.Add(account);
            }
        }
        // Oldest first, so an account is never starved by a budget that newer ones keep using up.
        foreach (var account in due.OrderBy(a => a.ExpiredAt))
        {
            if (account.LegalHold is { } hold)
            {
                run.Changed("accounts_on_legal_hold");
                run.Note($"expired_accounts: skipped {account.Id}: on legal hold since {hold.Since:yyyy-MM-dd}");
                Log.SkippedLegalHold(logger, account.Id, hold.Since);
                continue;
            }
            if (await purge.PurgeAsync(account, run, cancellationToken))
            {
                Log.Purged(logger, account.Id, run.Id);
            }
            if (run.BudgetExhausted)
            {
                run.Note($"expired_accounts: budget spent while purging {account.Id}; the next run resumes");
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Account {AccountId} purged by run {RunId}; a tombstone and a stamp audit entry remain.")]
        public static partial void Purged(ILogger logger, string accountId, string runId);

        [LoggerMessage(2, LogLevel.Warning, "Account {AccountId} is past its expired-retention period but on legal hold since {Since:O}; purge skipped.")]
        public static partial void SkippedLegalHold(ILogger logger, string accountId, DateTimeOffset since);
    }
}
