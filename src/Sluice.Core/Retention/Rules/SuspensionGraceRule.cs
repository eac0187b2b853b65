using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Storage;

namespace Sluice.Retention.Rules;

/// <summary>
/// Closes suspended accounts whose grace period (<see cref="AccountOptions.SuspensionGraceDays"/>) has ended without a
/// reinstatement: they become expired, and the expired-retention period runs from the end of grace. Runs before
/// <see cref="ExpiredAccountsRule"/>, so with a zero-day expired period the same run purges them.
/// Idempotent: an account already moved is no longer suspended; a lost race re-validates against the stored row.
/// </summary>
public sealed partial class SuspensionGraceRule(AccountStore accounts, AccountLifecycle lifecycle, IOptions<AccountOptions> options,
    ILogger<SuspensionGraceRule> logger) : IPurgeRule
{
    public string Name => "suspension_grace";

    public async Task RunAsync(PurgeRun run, CancellationToken cancellationToken)
    {
        // Accounts are few and live in one partition: listing the suspended ones is one filtered single-partition query.
        var due = new List<Account>();
        await foreach (var account in accounts.ListAsync(AccountState.Suspended, cancellationToken))
        {
            if (AccountTransitions.ExpireAfterGrace(account, run.Now, options.Value) is not null)
            {
                due.Add(account);
            }
        }
        foreach (var account in due)
        {
            if (await lifecycle.ExpireAfterGraceAsync(account.Id, run.Now, cancellationToken) is { } expired)
            {
                run.Changed("accounts_expired");
                Log.Expired(logger, expired.Id, expired.ExpiredAt!.Value);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information,
            "Account {AccountId} was not reinstated within its grace period and is closed (expired at {ExpiredAt:O}).")]
        public static partial void Expired(ILogger logger, string accountId, DateTimeOffset expiredAt);
    }
}
