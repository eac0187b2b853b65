using System.Collections.Concurrent;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Storage;
using Sluice.Testing;
using Sluice.Usage;

namespace Sluice.Core.Tests.Usage;

/// <summary>Group commit against Azurite: nothing lost, counters equal to the rows, transactions Azure would accept.</summary>
public sealed class UsageMeterTests
{
    private static readonly string[] s_accounts = ["acct_meter_a", "acct_meter_b", "acct_meter_c"];
    private static readonly string[] s_models = ["gpt-x", "mock/with#odd?chars"];

    [Fact]
    public async Task ManyConcurrentRecords_AreAllCommitted_InSinglePartitionTransactionsOfAtMost100()
    {
        var (meter, usage) = await CreateAsync(new UsageOptions { PartitionShards = 2, MaxConcurrentCommits = 3, QueueCapacity = 500 });
        var transactions = new ConcurrentQueue<(string PartitionKey, string[] EntityPartitions)>();
        meter.TransactionObserver = (pk, actions) => transactions.Enqueue((pk, [.. actions.Select(a => a.Entity.PartitionKey)]));
        const int n = 2400;

        // More callers than the meter has room for: some wait for room (back-pressure), none is dropped.
        await Task.WhenAll(Enumerable.Range(0, n).Select(i => Task.Run(() => meter.RecordAsync(Row(i)))));

        var (rows, counters) = await ReadAsync(usage);
        Assert.Equal(n, rows.Count);
        Assert.Equal(n, rows.Select(r => r.GetString("RequestId")).Distinct().Count());
        foreach (var account in s_accounts)
        {
            var own = rows.Where(r => r.GetString("AccountId") == account).ToList();
            var ownCounters = counters.Where(c => c.PartitionKey.StartsWith(account + "|", StringComparison.Ordinal)).ToList();
            Assert.Equal(own.Count, ownCounters.Sum(c => c.GetInt64("Requests")));
            Assert.Equal(own.Sum(r => (long)r.GetInt32("PromptTokens")!), ownCounters.Sum(c => c.GetInt64("PromptTokens")));
            Assert.Equal(own.Sum(r => (long)r.GetInt64("CostNanoUsd")!), ownCounters.Sum(c => c.GetInt64("CostNanoUsd")));
            Assert.Equal(own.Count(r => r.GetInt32("Status") >= 400), ownCounters.Sum(c => c.GetInt64("Errors")));
        }
        // Azure refuses a transaction across partitions or over 100 entities; Azurite accepts the first, so look.
        Assert.NotEmpty(transactions);
        Assert.All(transactions, t =>
        {
            Assert.InRange(t.EntityPartitions.Length, 2, UsageMeter.MaxEntitiesPerTransaction);
            Assert.All(t.EntityPartitions, pk => Assert.Equal(t.PartitionKey, pk));
        });
        // Group commit happened: fewer transactions than rows.
        Assert.True(transactions.Count < n / 2, $"{transactions.Count} transactions for {n} rows");
        Assert.Equal(0, meter.Queued);
    }

    [Fact]
    public async Task StopAsync_CommitsEveryQueuedRow_WhenCallersDoNotWait()
    {
        // Rows would wait an hour for company; stopping must not wait, and must not leave any behind.
        var (meter, usage) = await CreateAsync(new UsageOptions { WaitForCommit = false, GatherDelay = TimeSpan.FromHours(1) });
        const int n = 500;

        await Task.WhenAll(Enumerable.Range(0, n).Select(i => meter.RecordAsync(Row(i))));
        Assert.Equal(n, meter.Queued);
        Assert.Empty((await ReadAsync(usage)).Rows);

        await meter.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));

        var (rows, counters) = await ReadAsync(usage);
        Assert.Equal(n, rows.Count);
        Assert.Equal(n, counters.Sum(c => c.GetInt64("Requests")));
        Assert.Equal(0, meter.Queued);
    }

    [Fact]
    public async Task RecordAfterStop_IsStillCommitted_BeforeItReturns()
    {
        var (meter, usage) = await CreateAsync(new UsageOptions { WaitForCommit = false });
        await meter.StopAsync(CancellationToken.None);

        await meter.RecordAsync(Row(1));

        Assert.Single((await ReadAsync(usage)).Rows);
    }

    [Fact]
    public async Task ALostReply_IsRetried_AndTheRowsItCommittedAreCountedOnce()
    {
        await using var proxy = await FlakyStorageProxy.StartAsync();
        // Every third transaction commits, but its reply never arrives; the retry then meets its own rows (409).
        proxy.LoseEveryNthBatch = 3;
        var logs = new LogCapture();
        var (meter, usage) = await CreateAsync(new UsageOptions { PartitionShards = 1, WriteRetryDelay = TimeSpan.FromMilliseconds(10) },
            proxy.TableServiceUri, logs);

        for (var i = 0; i < 6; i++)
        {
            await meter.RecordAsync(Row(0));
        }

        Assert.Equal(2, proxy.RepliesLost);
        var (rows, counters) = await ReadAsync(usage);
        Assert.Equal(6, rows.Count);
        Assert.Equal(6, Assert.Single(counters).GetInt64("Requests"));
        Assert.Equal(2, logs.Lines.Count(l => l.Contains("retrying", StringComparison.Ordinal)));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("could not be written", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACounterAnotherInstanceMovedOn_IsReReadAndTheTransactionRetried()
    {
        var options = new UsageOptions { PartitionShards = 1 };
        var (first, usage) = await CreateAsync(options);
        var (second, _) = await CreateAsync(options, tablePrefix: usage.Name[..^"usage".Length]);
        var transactions = 0;
        first.TransactionObserver = (_, _) => Interlocked.Increment(ref transactions);

        await first.RecordAsync(Row(0));
        // The second instance moves the counter on; the first still holds its ETag from before.
        await second.RecordAsync(Row(0));
        await first.RecordAsync(Row(0));

        // Its third transaction was refused (stale ETag, 412) and sent again with the counter read anew.
        Assert.Equal(3, transactions);
        var (rows, counters) = await ReadAsync(usage);
        Assert.Equal(3, rows.Count);
        Assert.Equal(3, Assert.Single(counters).GetInt64("Requests"));
    }

    [Fact]
    public async Task AThrottledOrUnavailableStorage_IsRetriedWithBackoff_AndARowStillRefusedAfterEveryAttempt_IsReportedByIdOnly()
    {
        await using var proxy = await FlakyStorageProxy.StartAsync();
        proxy.LoseEveryNthBatch = int.MaxValue;
        var logs = new LogCapture();
        var options = new UsageOptions { WriteAttempts = 3, WriteRetryDelay = TimeSpan.FromMilliseconds(10) };
        var (meter, usage) = await CreateAsync(options, proxy.TableServiceUri, logs);

        proxy.RefuseNextBatches(2, 503);
        await meter.RecordAsync(Row(0));

        Assert.Single((await ReadAsync(usage)).Rows);
        Assert.Equal(2, proxy.BatchesRefused);
        Assert.Equal(2, logs.Lines.Count(l => l.Contains("retrying", StringComparison.Ordinal) && l.Contains("Status=503", StringComparison.Ordinal)));

        proxy.RefuseNextBatches(3, 429);
        var lost = Row(1);
        await meter.RecordAsync(lost);

        Assert.Single((await ReadAsync(usage)).Rows);
        var report = Assert.Single(logs.Lines, l => l.Contains("could not be written", StringComparison.Ordinal));
        Assert.Contains(lost.RequestId.Value, report, StringComparison.Ordinal);
        Assert.DoesNotContain(lost.Model, report, StringComparison.Ordinal);
    }

    private static UsageRecord Row(int i) => new()
    {
        RequestId = RequestId.New(DateTimeOffset.UtcNow),
        AccountId = s_accounts[i % s_accounts.Length],
        KeyId = "key_0123456789abcdef",
        DataRegion = "us",
        Model = s_models[i / 3 % s_models.Length],
        Status = i % 17 == 0 ? 502 : 200,
        PromptTokens = i % 50,
        CompletionTokens = 7,
        CostNanoUsd = 1000 + i,
    };

    private static async Task<(UsageMeter Meter, TableClient Usage)> CreateAsync(UsageOptions options, Uri? tableServiceUri = null,
        LogCapture? logs = null, string? tablePrefix = null)
    {
        var access = await Azurite.AccessAsync();
        var storage = new SluiceStorage(Options.Create(access.Options(tablePrefix ?? Azurite.UniqueName(), tableServiceUri)),
            Options.Create(new StampOptions()));
        await storage.Usage.CreateIfNotExistsAsync();
        ILogger<UsageMeter> logger = logs is null ? NullLogger<UsageMeter>.Instance : new LoggerFactory([logs]).CreateLogger<UsageMeter>();
        var meter = new UsageMeter(new UsageTable(storage, Options.Create(options)), Options.Create(options), logger);
        await meter.StartAsync(CancellationToken.None);
        return (meter, storage.Usage);
    }

    private static async Task<(List<TableEntity> Rows, List<TableEntity> Counters)> ReadAsync(TableClient usage)
    {
        var rows = new List<TableEntity>();
        var counters = new List<TableEntity>();
        await foreach (var e in usage.QueryAsync<TableEntity>())
        {
            (e.RowKey.StartsWith(UsageTable.CounterPrefix, StringComparison.Ordinal) ? counters : rows).Add(e);
        }
        return (rows, counters);
    }
}
