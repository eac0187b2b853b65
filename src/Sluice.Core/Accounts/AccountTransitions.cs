using System.Collections.Immutable;
using System.Globalization;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// The lifecycle's rules as pure functions: each takes the account as stored and the instant, and returns the
/// account as it must be written next, or the 409 that says why not. No I/O, so <see cref="AccountLifecycle"/>
/// can re-apply a rule to a fresh read after losing an optimistic-concurrency race, and tests can check each rule
/// without storage.
/// <code>
///   active ──close (owner)──────────────────────────────▶ expired ──period ends──▶ purged (tombstone)
///   active ──suspend (operator)──▶ suspended ──grace ends──▶ expired     ▲
///   suspended ──reinstate──▶ active          expired ──reopen (within period)──▶ active
/// </code>
/// A legal hold can be placed on any account that is not purged; it stops the purge, not the transitions.
/// </summary>
internal static class AccountTransitions
{
    public const int MaxReasonLength = 500;

    public static Outcome<Account> Close(Account a, DateTimeOffset now, AccountOptions options) => a.State switch
    {
        AccountState.Active => a with { State = AccountState.Expired, ExpiredAt = now, ExpiryReason = ExpiryReasons.ClosedByOwner },
        AccountState.Expired => ApiError.Conflict("account_already_closed",
            $"This account is already closed (since {Day(a.ExpiredAt)}); its data is deleted after {Day(a.PurgeAfter(options))}."),
        _ => NotFrom(a, "closed"),
    };

    public static Outcome<Account> Suspend(Account a, DateTimeOffset now, string reason, string? note) => a.State switch
    {
        AccountState.Active => a with { State = AccountState.Suspended, SuspendedAt = now, SuspensionReason = reason, SuspensionNote = note },
        AccountState.Suspended => ApiError.Conflict("account_already_suspended",
            $"This account is already suspended (since {Day(a.SuspendedAt)})."),
        _ => NotFrom(a, "suspended"),
    };

    public static Outcome<Account> Reinstate(Account a, AccountOptions options) => a.State switch
    {
        AccountState.Suspended => a with { State = AccountState.Active, SuspendedAt = null, SuspensionReason = null, SuspensionNote = null },
        AccountState.Expired when a.ExpiryReason == ExpiryReasons.SuspensionNotResolved => ApiError.Conflict("grace_period_ended",
            $"The suspension's grace period ended on {Day(a.ExpiredAt)} and the account is closed. Reopen it instead (possible until {Day(a.PurgeAfter(options))})."),
        _ => NotFrom(a, "reinstated", "only a suspended account can be reinstated"),
    };

    /// <summary>Reopens a closed account while its expired-retention period runs; afterwards its data is being deleted.</summary>
    public static Outcome<Account> Reopen(Account a, DateTimeOffset now, AccountOptions options)
    {
        if (a.State != AccountState.Expired)
        {
            return NotFrom(a, "reopened", "only a closed (expired) account can be reopened");
        }
        if (now >= a.PurgeAfter(options))
        {
            return ApiError.Conflict("expired_period_ended",
                $"The account's expired-retention period ended on {Day(a.PurgeAfter(options))}; it can no longer be reopened and its data is being deleted.");
        }
        return a with
        {
            State = AccountState.Active,
            ExpiredAt = null,
            ExpiryReason = null,
            SuspendedAt = null,
            SuspensionReason = null,
            SuspensionNote = null,
        };
    }

    /// <summary>A suspension left unresolved through the grace period closes the account. The expired-retention clock
    /// starts when the grace period ended, not when a timer noticed: a late run must not lengthen the customer's
    /// time to reopen, nor shorten it.</summary>
    public static Account? ExpireAfterGrace(Account a, DateTimeOffset now, AccountOptions options) =>
        a.GraceEndsAt(options) is { } end && now >= end
            ? a with { State = AccountState.Expired, ExpiredAt = end, ExpiryReason = ExpiryReasons.SuspensionNotResolved }
            : null;

    public static Outcome<Account> PlaceLegalHold(Account a, DateTimeOffset now, string reason) => a switch
    {
        { State: AccountState.Purged } => NotFrom(a, "placed on legal hold"),
        { LegalHold: { } h } => ApiError.Conflict("legal_hold_already_placed", $"This account is already on legal hold (since {Day(h.Since)})."),
        _ => a with { LegalHold = new LegalHold(reason, now) },
    };

    public static Outcome<Account> ReleaseLegalHold(Account a) => a.LegalHold is null
        ? ApiError.Conflict("no_legal_hold", "This account is not on legal hold.")
        : a with { LegalHold = null };

    /// <summary>What is left of a purged account, exactly as the README promises: its id, region and dates (created,
    /// suspended, expired, purge started, purged) and what the purge deleted, so the purge can be proven. No name, note,
    /// address list, retention or data-policy setting, nor why it expired (the stamp-level proof records that).</summary>
    public static Account Tombstone(Account a, DateTimeOffset now, IReadOnlyDictionary<string, long> counts) => new()
    {
        Id = a.Id,
        Region = a.Region,
        State = AccountState.Purged,
        CreatedAt = a.CreatedAt,
        SuspendedAt = a.SuspendedAt,
        ExpiredAt = a.ExpiredAt,
        PurgeStartedAt = a.PurgeStartedAt ?? now,
        PurgedAt = now,
        PurgeCounts = counts.ToImmutableDictionary(StringComparer.Ordinal),
        // Not stored (see AccountStore): what nothing kept looks like, should anything read it.
        Retention = new RetentionPolicy(ContentMode.MetadataOnly, 0, 0),
        ETag = a.ETag,
    };

    /// <summary>The 409 for a transition the current state does not allow.</summary>
    private static ApiError NotFrom(Account a, string verb, string? rule = null)
    {
        var why = a.State switch
        {
            AccountState.Purged => $"the account was purged on {Day(a.PurgedAt)} and its data no longer exists",
            AccountState.Suspended => "the account is suspended: reinstate it first",
            AccountState.Expired => "the account is closed",
            _ => "the account is active",
        };
        return ApiError.Conflict($"account_{a.State.ToWire()}",
            $"The account cannot be {verb}: {why}{(rule is null ? "" : $" ({rule})")}.");
    }

    private static string Day(DateTimeOffset? instant) =>
        instant?.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) ?? "an unknown date";
}
