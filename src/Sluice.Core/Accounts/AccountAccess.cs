using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>The account-state half of authorisation, one rule for keys and signed-in members alike.</summary>
public static class AccountAccess
{
    /// <summary>Why the account's state refuses this purpose, or null. Suspension refuses everything (the data is
    /// inaccessible until reinstated); closure still lets the Owner and Admins read and export their data until the
    /// expired-retention period ends.</summary>
    public static ApiError? StateRefusal(Account account, KeyRole role, CallerPurpose purpose, DateTimeOffset now, AccountOptions options) => account.State switch
    {
        AccountState.Suspended => ApiError.Forbidden("account_suspended",
            $"This account is suspended because of {SuspensionReasons.Describe(account.SuspensionReason)}. Its data is inaccessible until the operator " +
            $"reinstates it; contact the operator to resolve the suspension before {account.GraceEndsAt(options):yyyy-MM-dd}, after which the account is closed."),
        AccountState.Expired when account.PurgeAfter(options) <= now => ApiError.Forbidden("account_closed",
            "This account is closed and its expired-retention period has ended; its data is being deleted."),
        // A suspension nobody resolved must not become a way around it: waiting out the grace period does not unlock
        // the data. Only the operator's reopen does.
        AccountState.Expired when account.ExpiryReason == ExpiryReasons.SuspensionNotResolved => ApiError.Forbidden("account_closed",
            $"This account was closed because its suspension was not resolved within the grace period. Its data is inaccessible and is deleted after " +
            $"{account.PurgeAfter(options):yyyy-MM-dd}; contact the operator, who can reopen it until then."),
        AccountState.Expired when purpose != CallerPurpose.ReadOwnData || role < KeyRole.Admin => ApiError.Forbidden("account_closed",
            $"This account is closed. Its data is kept until {account.PurgeAfter(options):yyyy-MM-dd} and can still be exported by its Owner or an Admin."),
        _ => null,
    };
}
