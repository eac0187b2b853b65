using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sluice.Health;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Testing;

namespace Sluice.Core.Tests.Health;

/// <summary>The health probe behind an anonymous endpoint cannot be used to load storage: whatever the number of
/// callers, it asks storage once per cache period.</summary>
public sealed class StorageHealthTests
{
    [Fact]
    public async Task ManyCallers_ShareOneProbe_AndItsAnswerIsReusedUntilTheCachePeriodEnds()
    {
        await using var proxy = await FlakyStorageProxy.StartAsync();
        proxy.LoseEveryNthBatch = int.MaxValue;
        using var access = await Azurite.AccessAsync();
        var storage = new SluiceStorage(Options.Create(access.Options(Azurite.UniqueName("health"), proxy.TableServiceUri)),
            Options.Create(new StampOptions()));
        await storage.EnsureCreatedAsync(CancellationToken.None);
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var health = new StorageHealth(storage, time, NullLogger<StorageHealth>.Instance);
        var before = proxy.UserAgents.Count;

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => health.CheckAsync()));
        for (var i = 0; i < 50; i++)
        {
            answers = [.. answers, await health.CheckAsync()];
        }
        time.Advance(StorageHealth.CacheFor - TimeSpan.FromMilliseconds(1));
        answers = [.. answers, await health.CheckAsync()];

        Assert.All(answers, a => Assert.True(a.Healthy));
        Assert.Equal(1, proxy.UserAgents.Count - before);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True((await health.CheckAsync()).Healthy);
        Assert.Equal(2, proxy.UserAgents.Count - before);
    }
}
