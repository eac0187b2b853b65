using Sluice.FairUse;
using Sluice.Testing;

namespace Sluice.Core.Tests.FairUse;

/// <summary>The shared counter behind every rate limit: leases from any number of instances at once never add up to
/// more than the limit in a minute, which is the whole of the requests-per-minute overshoot bound (none).</summary>
public sealed class RateCountersTests
{
    [Fact]
    public async Task ConcurrentLeasesFromTwoInstances_NeverExceedTheLimit_AndANewMinuteStartsAgain()
    {
        await using var app = await SluiceApplication.StartAsync();
        await using var other = await SluiceApplication.StartAsync(SharedStorage.With(app));
        var instances = new[] { new RateCounters(app.Storage), new RateCounters(other.Storage) };
        var subject = LimitSubject.Key("key_race");
        const long limit = 20, window = 29_000_000;

        // Four instances at once, each leasing one share after another (an instance has at most one lease of a limit
        // in flight: RateBucket), sixty leases for a limit of twenty.
        var leases = (await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            var mine = new List<RateCounters.Lease>();
            for (var n = 0; n < 15; n++)
            {
                mine.Add(await instances[i % 2].LeaseAsync("acct_race", subject, RateResource.Requests, window, need: 1, chunk: 1, limit, seen: null,
                    CancellationToken.None));
            }
            return mine;
        }))).SelectMany(l => l).ToList();

        Assert.Equal(limit, leases.Sum(l => l.Granted));
        Assert.Equal(40, leases.Count(l => l.Granted == 0));
        Assert.All(leases.Where(l => l.Granted == 0), l => Assert.Equal(limit, l.TotalGranted));

        // A lease larger than what is left is refused whole; the next minute has the whole limit again.
        var next = await instances[0].LeaseAsync("acct_race", subject, RateResource.Requests, window + 1, need: 5, chunk: 8, limit, seen: null, CancellationToken.None);
        Assert.Equal(8, next.Granted);
        var tooBig = await instances[1].LeaseAsync("acct_race", subject, RateResource.Requests, window + 1, need: 13, chunk: 1, limit, seen: null, CancellationToken.None);
        Assert.Equal(0, tooBig.Granted);
        Assert.Equal(8, tooBig.TotalGranted);
    }
}
