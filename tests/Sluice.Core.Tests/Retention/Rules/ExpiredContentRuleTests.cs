using static Sluice.Core.Tests.Retention.RetentionScenario;
using Sluice.Accounts;
using Sluice.Wire;

namespace Sluice.Core.Tests.Retention.Rules;

/// <summary>Content of UTC day D kept N days: present on D+N−1, gone after the first run on or after D+N.</summary>
public sealed class ExpiredContentRuleTests : IAsyncLifetime
{
    private RetentionScenario _s = null!;

    public async Task InitializeAsync() => _s = await RetentionScenario.StartAsync();

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task EachAccountsContent_IsKeptThroughDayDPlusNMinus1_AndGoneOnDayDPlusN_FromTheFirstToTheLastSecondOfDayD()
    {
        var periods = new[] { 1, 3, 10 };
        var accounts = new List<(Sluice.Accounts.Account Account, int Days, Sluice.Wire.RequestId Early, Sluice.Wire.RequestId Late)>();
        foreach (var days in periods)
        {
            var account = await _s.AccountAsync(days, 30);
            accounts.Add((account, days, await _s.PayloadAsync(account, At(D, 0, 0, 1), days), await _s.PayloadAsync(account, At(D, 23, 59, 59), days)));
        }

        foreach (var n in periods)
        {
            // Last second of day D+N−1: everything with a period of at least N is still there.
            await _s.PurgeAtAsync(At(D.AddDays(n - 1), 23, 59, 59));
            foreach (var (account, days, early, late) in accounts)
            {
                var expected = days >= n;
                Assert.Equal(expected, await _s.BlobExistsAsync(account, early));
                Assert.Equal(expected, await _s.BlobExistsAsync(account, late));
            }
            // First run of day D+N: the N-day account's content is gone, longer periods keep theirs.
            await _s.PurgeAtAsync(At(D.AddDays(n), 0, 0, 1));
            foreach (var (account, days, early, late) in accounts)
            {
                var expected = days > n;
                Assert.Equal(expected, await _s.BlobExistsAsync(account, early));
                Assert.Equal(expected, await _s.BlobExistsAsync(account, late));
            }
        }
    }

    [Fact]
    public async Task AShortenedAccountPeriod_TakesEffectAtTheNextRun_AndLengtheningItBringsNothingBack()
    {
        var account = await _s.AccountAsync(30, 30);
        var old = await _s.PayloadAsync(account, At(D, 12), 30);
        var recent = await _s.PayloadAsync(account, At(D.AddDays(3), 12), 30);

        account = await _s.SetRetentionAsync(account, account.Retention with { ContentRetentionDays = 2 });
        await _s.PurgeAtAsync(At(D.AddDays(4), 0, 5));
        Assert.False(await _s.BlobExistsAsync(account, old));
        Assert.True(await _s.BlobExistsAsync(account, recent));

        await _s.SetRetentionAsync(account, account.Retention with { ContentRetentionDays = 30 });
        await _s.PurgeAtAsync(At(D.AddDays(5), 0, 5));
        Assert.False(await _s.BlobExistsAsync(account, old));
        Assert.True(await _s.BlobExistsAsync(account, recent));
        Assert.Single(await _s.BlobNamesAsync(account));
    }

    [Fact]
    public async Task ARequestThatAskedForFewerDays_IsPurgedOnItsOwnExpiryDay()
    {
        var account = await _s.AccountAsync(30, 30);
        var shortLived = await _s.PayloadAsync(account, At(D, 12), 2);
        var normal = await _s.PayloadAsync(account, At(D, 12), 30);

        await _s.PurgeAtAsync(At(D.AddDays(1), 23, 59));
        Assert.True(await _s.BlobExistsAsync(account, shortLived));
        await _s.PurgeAtAsync(At(D.AddDays(2), 0, 1));
        Assert.False(await _s.BlobExistsAsync(account, shortLived));
        Assert.True(await _s.BlobExistsAsync(account, normal));
    }

    [Fact]
    public async Task ALegalHold_KeepsExpiredContent_AndTheRunRecordSaysSo_UntilItIsReleased()
    {
        var held = await _s.AccountAsync(1, 30);
        var free = await _s.AccountAsync(1, 30);
        var heldBlob = await _s.PayloadAsync(held, At(D, 12), 1);
        var freeBlob = await _s.PayloadAsync(free, At(D, 12), 1);
        held = await _s.SetLegalHoldAsync(held, on: true);

        var run = await _s.PurgeAtAsync(At(D.AddDays(5)));
        Assert.True(await _s.BlobExistsAsync(held, heldBlob));
        Assert.False(await _s.BlobExistsAsync(free, freeBlob));
        Assert.Contains(run.Notes, n => n.Contains(held.Id, StringComparison.Ordinal) && n.Contains("legal hold", StringComparison.Ordinal));

        await _s.SetLegalHoldAsync(held, on: false);
        await _s.PurgeAtAsync(At(D.AddDays(5), 1));
        Assert.False(await _s.BlobExistsAsync(held, heldBlob));
    }
}
