using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.Core.Tests.Accounts;

/// <summary>The lifecycle's rules without storage: which transition each state allows, and the 409 code otherwise.</summary>
public sealed class AccountTransitionsTests
{
    private static readonly DateTimeOffset s_day0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly AccountOptions s_options = new();

    private static Account InState(AccountState state) => new()
    {
        Id = "acct_0123456789abcdef",
        Name = "Jane Doe Consulting",
        Region = "us",
        State = state,
        CreatedAt = s_day0.AddDays(-100),
        SuspendedAt = state == AccountState.Suspended ? s_day0 : null,
        SuspensionReason = state == AccountState.Suspended ? SuspensionReasons.NonPayment : null,
        SuspensionNote = state == AccountState.Suspended ? "invoice 7" : null,
        ExpiredAt = state is AccountState.Expired or AccountState.Purged ? s_day0 : null,
        ExpiryReason = state is AccountState.Expired or AccountState.Purged ? ExpiryReasons.ClosedByOwner : null,
        PurgedAt = state == AccountState.Purged ? s_day0.AddDays(30) : null,
        Retention = new RetentionPolicy(ContentMode.MetadataOnly, 30, 90),
        IpAllowlist = ["203.0.113.0/24"],
    };

    public static TheoryData<string, AccountState, string?> Matrix() => new()
    {
        // transition, from state, expected 409 code (null = allowed)
        { "close", AccountState.Active, null },
        { "close", AccountState.Suspended, "account_suspended" },
        { "close", AccountState.Expired, "account_already_closed" },
        { "close", AccountState.Purged, "account_purged" },
        { "suspend", AccountState.Active, null },
        { "suspend", AccountState.Suspended, "account_already_suspended" },
        { "suspend", AccountState.Expired, "account_expired" },
        { "suspend", AccountState.Purged, "account_purged" },
        { "reinstate", AccountState.Active, "account_active" },
        { "reinstate", AccountState.Suspended, null },
        { "reinstate", AccountState.Expired, "account_expired" },
        { "reinstate", AccountState.Purged, "account_purged" },
        { "reopen", AccountState.Active, "account_active" },
        { "reopen", AccountState.Suspended, "account_suspended" },
        { "reopen", AccountState.Expired, null },
        { "reopen", AccountState.Purged, "account_purged" },
        { "hold", AccountState.Active, null },
        { "hold", AccountState.Suspended, null },
        { "hold", AccountState.Expired, null },
        { "hold", AccountState.Purged, "account_purged" },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Transition_FromState_IsAllowedOrAClear409(string transition, AccountState from, string? expectedCode)
    {
        var account = InState(from);
        var now = s_day0.AddDays(1);

        var (next, error) = transition switch
        {
            "close" => AccountTransitions.Close(account, now, s_options),
            "suspend" => AccountTransitions.Suspend(account, now, SuspensionReasons.Other, null),
            "reinstate" => AccountTransitions.Reinstate(account, s_options),
            "reopen" => AccountTransitions.Reopen(account, now, s_options),
            _ => AccountTransitions.PlaceLegalHold(account, now, "order"),
        };

        if (expectedCode is null)
        {
            Assert.NotNull(next);
            Assert.Null(error);
        }
        else
        {
            Assert.Null(next);
            Assert.Equal(409, error!.Status);
            Assert.Equal(expectedCode, error.Code);
        }
    }

    [Fact]
    public void Close_ExpiresAtOnce_AndThePurgeIsDueAfterTheExpiredPeriod()
    {
        var (next, _) = AccountTransitions.Close(InState(AccountState.Active), s_day0, s_options);

        Assert.Equal(AccountState.Expired, next!.State);
        Assert.Equal(s_day0, next.ExpiredAt);
        Assert.Equal(s_day0.AddDays(30), next.PurgeAfter(s_options));
    }

    [Theory]
    [InlineData(13.99, false)]
    [InlineData(14, true)]
    [InlineData(20, true)]
    public void ExpireAfterGrace_OnlyOnceGraceEnded_AndTheClockStartsAtTheEndOfGrace(double days, bool expires)
    {
        var next = AccountTransitions.ExpireAfterGrace(InState(AccountState.Suspended), s_day0.AddDays(days), s_options);

        Assert.Equal(expires, next is not null);
        if (next is not null)
        {
            Assert.Equal(s_day0.AddDays(14), next.ExpiredAt);
            Assert.Equal(ExpiryReasons.SuspensionNotResolved, next.ExpiryReason);
        }
    }

    [Fact]
    public void Reopen_AfterTheExpiredPeriod_IsRefused()
    {
        var (next, error) = AccountTransitions.Reopen(InState(AccountState.Expired), s_day0.AddDays(30), s_options);

        Assert.Null(next);
        Assert.Equal("expired_period_ended", error!.Code);
    }

    [Fact]
    public void Reinstate_AfterGraceRanOut_PointsToReopen()
    {
        var expired = InState(AccountState.Expired) with { ExpiryReason = ExpiryReasons.SuspensionNotResolved };

        var (_, error) = AccountTransitions.Reinstate(expired, s_options);

        Assert.Equal("grace_period_ended", error!.Code);
        Assert.Contains("Reopen", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tombstone_KeepsIdDatesAndTotals_AndNothingPersonal()
    {
        var expired = InState(AccountState.Expired) with { LegalHold = null, SuspensionNote = "x", SuspensionReason = SuspensionReasons.TermsViolation };

        var tombstone = AccountTransitions.Tombstone(expired, s_day0.AddDays(31), new Dictionary<string, long> { ["usage_rows"] = 7 });

        Assert.Equal((expired.Id, expired.Region, expired.CreatedAt, expired.ExpiredAt), (tombstone.Id, tombstone.Region, tombstone.CreatedAt, tombstone.ExpiredAt));
        Assert.Equal(AccountState.Purged, tombstone.State);
        Assert.Equal(s_day0.AddDays(31), tombstone.PurgedAt);
        Assert.Equal(7, tombstone.PurgeCounts["usage_rows"]);
        Assert.Null(tombstone.Name);
        Assert.Null(tombstone.SuspensionReason);
        Assert.Null(tombstone.SuspensionNote);
        Assert.Null(tombstone.DataPolicy);
        Assert.Empty(tombstone.IpAllowlist);
    }
}
