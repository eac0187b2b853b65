using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Sluice.Usage;

namespace Sluice.Core.Tests.Usage;

/// <summary>The <c>Sluice.Usage</c> instruments are process-wide, so the tests that read them run alone.</summary>
[CollectionDefinition(nameof(UsageMetricsTests), DisableParallelization = true)]
public sealed class UsageMetricsCollection;

/// <summary>What the usage meter's counters tell an operator (and tests/load): rows queued and committed, and every
/// request that had to wait for room because storage was slower than the traffic.</summary>
[Collection(nameof(UsageMetricsTests))]
public sealed class UsageMetricsTests
{
    [Fact]
    public async Task Counters_ShowQueuedAndCommittedRows_AndEachCallerThatWaitedForRoom()
    {
        var totals = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Sluice.Usage")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        listener.Start();
        long Total(string name) => totals.GetValueOrDefault(name);

        // Rows wait an hour for company, so nothing commits until the meter stops: the queue fills and stays full.
        var (meter, usage) = await UsageMeterTests.CreateAsync(new UsageOptions
        {
            WaitForCommit = false, GatherDelay = TimeSpan.FromHours(1), QueueCapacity = 100, PartitionShards = 1,
        });
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => meter.RecordAsync(UsageMeterTests.Row(i))));

        Assert.Equal(100, Total("sluice.usage.rows.queued"));
        Assert.Equal(0, Total("sluice.usage.queue.waits"));
        Assert.Equal(0, Total("sluice.usage.rows.committed"));

        var waiting = Enumerable.Range(100, 3).Select(i => meter.RecordAsync(UsageMeterTests.Row(i))).ToList();

        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        Assert.Equal(3, Total("sluice.usage.queue.waits"));
        Assert.Equal(103, Total("sluice.usage.rows.queued"));

        // Stopping cuts the wait short and commits everything, the three that waited for room included.
        await meter.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
        await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(103, (await UsageMeterTests.ReadAsync(usage)).Rows.Count);
        Assert.Equal(103, Total("sluice.usage.rows.committed"));
        Assert.Equal(0, Total("sluice.usage.rows.queued"));
        Assert.Equal(3, Total("sluice.usage.queue.waits"));
    }
}
