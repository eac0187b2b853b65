using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Sluice.Accounts;

namespace Sluice.Core.Tests.Accounts;

/// <summary>The pieces that bound failed authentication, on an injected clock: the per-address budget and the memory of
/// unknown keys.</summary>
public sealed class FailedAuthBoundsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Budget_AllowsTheLimit_ThenRefusesWithTheTimeToTheNextFailure_AndRefillsEvenly()
    {
        using var budget = new FailureBudget(_time, limit: 10, window: TimeSpan.FromMinutes(1));

        for (var i = 0; i < 10; i++)
        {
            Assert.True(budget.AttemptAcquire(0).IsAcquired);
            Spend(budget.AttemptAcquire(1));
        }
        var refused = budget.AttemptAcquire(0);

        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(6), retryAfter);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(budget.AttemptAcquire(0).IsAcquired);
        _time.Advance(TimeSpan.FromSeconds(1));
        Spend(budget.AttemptAcquire(1));
        Assert.False(budget.AttemptAcquire(1).IsAcquired);
    }

    [Fact]
    public void Budget_MarksTheStartOfABurstAndItsExhaustion_OncePerBurst()
    {
        using var budget = new FailureBudget(_time, limit: 3, window: TimeSpan.FromSeconds(30));

        Assert.Equal((true, false), Spend(budget.AttemptAcquire(1)));
        Assert.Equal((false, false), Spend(budget.AttemptAcquire(1)));
        Assert.Equal((false, true), Spend(budget.AttemptAcquire(1)));
        // One failure back and spent again: still the same burst, nothing new to report.
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal((false, false), Spend(budget.AttemptAcquire(1)));
        // Quiet until full again: the next failure starts a new burst.
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.Zero, budget.IdleDuration);
        Assert.Equal((true, false), Spend(budget.AttemptAcquire(1)));
        Assert.Null(budget.IdleDuration);
    }

    [Fact]
    public async Task Budget_AHeldFailureGivenBackCostsNothing_AndAttemptsWaitForHeldOnesInsteadOfBeingRefused()
    {
        using var budget = new FailureBudget(_time, limit: 2, window: TimeSpan.FromSeconds(20));
        var first = await budget.AcquireAsync(1);
        var second = await budget.AcquireAsync(1);
        Assert.True(first.IsAcquired && second.IsAcquired);
        Assert.Null(budget.IdleDuration);

        // Both failures are held by attempts still running: a third waits, neither refused nor let through.
        var third = budget.AcquireAsync(1).AsTask();
        Assert.False(third.IsCompleted);
        first.Dispose();
        var thirdLease = await third;
        Assert.True(thirdLease.IsAcquired);

        // A held failure that is spent while another waits: the waiter is refused once nothing is left.
        var fourth = budget.AcquireAsync(1).AsTask();
        Spend(second);
        Assert.False(fourth.IsCompleted);
        Spend(thirdLease);
        Assert.False((await fourth).IsAcquired);
        Assert.Equal(0, budget.GetStatistics()!.CurrentAvailablePermits);
    }

    private static (bool Started, bool Exhausted) Spend(RateLimitLease lease)
    {
        Assert.True(lease.IsAcquired);
        using var held = (FailureBudget.Lease)lease;
        return held.Spend();
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:7:7::1", "2001:db8:7:7::/64")]
    [InlineData("2001:db8:7:7:abcd:1:2:3", "2001:db8:7:7::/64")]
    [InlineData(null, "unknown")]
    public void Budgets_ArePerIPv4Address_AndPerIPv6Slash64(string? address, string partition) =>
        Assert.Equal(partition, FailedAuthThrottle.PartitionOf(address is null ? null : IPAddress.Parse(address)));

    [Fact]
    public void UnknownKeys_NeverExceedTheCapacity()
    {
        using var cache = new UnknownKeyCache(capacity: 100, lifetime: TimeSpan.FromSeconds(30), _time);

        for (var i = 0; i < 1000; i++)
        {
            cache.Add("hash" + i);
        }

        Assert.InRange(cache.Count, 1, 100);
    }

    [Fact]
    public void UnknownKeys_AreRememberedForTheirLifetime_UnlessForgotten()
    {
        using var cache = new UnknownKeyCache(capacity: 100, lifetime: TimeSpan.FromSeconds(30), _time);
        cache.Add("created-since");
        cache.Add("still-unknown");

        cache.Remove("created-since");

        Assert.False(cache.Contains("created-since"));
        Assert.True(cache.Contains("still-unknown"));
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(cache.Contains("still-unknown"));
    }
}
