using System.Collections.Concurrent;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Testing;
using Sluice.Usage;
using Sluice.Wire;

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

    /// <summary>Model names no key may hold as they are, and text that is not text (unpaired surrogates).</summary>
    public static readonly string[] HostileModels =
    [
        string.Concat(Enumerable.Repeat("/#?%\\", 205)),
        "lone-high-\ud800-x",
        "\udc00lone-low",
        "ctl-\u0000\u0001\u001f\u007f\u0085\u009f",
        new string('m', 100_000),
        new string('q', 1024 * 1024),
        new string('s', 3000) + "-a",
        new string('s', 3000) + "-b",
    ];

    [Fact]
    public async Task HostileModelNames_RoundTripThroughStorage_Bounded_AndEachCountedApart()
    {
        var (meter, usage) = await CreateAsync(new UsageOptions { PartitionShards = 1, GatherDelay = TimeSpan.FromMilliseconds(100) });
        var records = HostileModels.SelectMany(model => Enumerable.Range(0, 3).Select(i => Row(i * 3) with { Model = model })).ToList();

        await Task.WhenAll(records.Select(meter.RecordAsync));

        var (rows, counters) = await ReadAsync(usage);
        Assert.Equal(records.Count, rows.Count);
        Assert.All(rows, r => Assert.Null(r.GetBoolean("StorageFallback")));
        foreach (var record in records)
        {
            var stored = Assert.Single(rows, r => r.GetString("RequestId") == record.RequestId.Value).GetString("Model")!;
            Assert.Equal(UsageTable.Storable(record).Model, stored);
            Assert.InRange(stored.Length, 1, UsageTable.MaxTextLength);
            Assert.True(record.Model.Length > UsageTable.MaxTextLength || record.Model.Contains('\ud800', StringComparison.Ordinal)
                || record.Model.Contains('\udc00', StringComparison.Ordinal) ? stored != record.Model : stored == record.Model);
        }
        // One counter per model, however alike the names: 3 rows each.
        Assert.Equal(HostileModels.Length, counters.Count);
        Assert.All(counters, c => Assert.Equal(3, c.GetInt64("Requests")));
        Assert.All(counters, c => Assert.Null(TableKey.Violation(c.RowKey)));
        // A short model's counter key decodes back to the model itself.
        var control = HostileModels[3];
        Assert.Contains(counters, c => TableKey.TryDecode(c.RowKey[UsageTable.CounterPrefix.Length..], out var model) && model == control);
    }

    [Theory]
    // Refused once: the others commit without it, then it is written in its fallback form.
    [InlineData(1)]
    // Refused in its fallback form too: reported lost by id, and never tried a third time.
    [InlineData(2)]
    public async Task ARowStorageRefuses_NeverTakesTheRowsBesideItWithIt(int refusals)
    {
        await using var proxy = await FlakyStorageProxy.StartAsync();
        proxy.LoseEveryNthBatch = int.MaxValue;
        var logs = new LogCapture();
        var (meter, usage) = await CreateAsync(new UsageOptions { PartitionShards = 1, GatherDelay = TimeSpan.FromMilliseconds(200) },
            proxy.TableServiceUri, logs);
        var transactions = new ConcurrentQueue<int>();
        meter.TransactionObserver = (_, actions) => transactions.Enqueue(actions.Count);
        var records = Enumerable.Range(0, 30).Select(i => Row(i * 3)).ToList();
        var refused = records[17];
        proxy.SpoilRow(refused.RequestId.Value, refusals);

        await Task.WhenAll(records.Select(meter.RecordAsync));

        // Azurite itself refused the transaction at that row (the proxy made the row too large).
        Assert.Equal(refusals, proxy.RowsSpoiled);
        // 30 rows and 2 counters; the 29 others with their counters; the refused row alone with its counter.
        Assert.Equal([32, 31, 2], transactions.ToArray());
        var (rows, counters) = await ReadAsync(usage);
        var expected = refusals == 1 ? 30 : 29;
        Assert.Equal(expected, rows.Count);
        Assert.Equal(expected, counters.Sum(c => c.GetInt64("Requests")));
        Assert.Contains(logs.Lines, l => l.Contains("Storage refused usage row " + refused.RequestId.Value, StringComparison.Ordinal));
        var fallback = rows.SingleOrDefault(r => r.GetBoolean("StorageFallback") == true);
        if (refusals == 1)
        {
            Assert.NotNull(fallback);
            Assert.Equal(refused.RequestId.Value, fallback.GetString("RequestId"));
            Assert.Equal(refused.PromptTokens, fallback.GetInt32("PromptTokens"));
            Assert.Equal(refused.CostNanoUsd, fallback.GetInt64("CostNanoUsd"));
            Assert.DoesNotContain(logs.Lines, l => l.Contains("could not be written", StringComparison.Ordinal));
        }
        else
        {
            Assert.Null(fallback);
            var lost = Assert.Single(logs.Lines, l => l.Contains("could not be written", StringComparison.Ordinal));
            Assert.Contains(refused.RequestId.Value, lost, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ATransactionRefusedWithNoActionNamed_IsSplitUntilTheRowIsAlone_AndEveryOtherRowCommits()
    {
        await using var proxy = await FlakyStorageProxy.StartAsync();
        proxy.LoseEveryNthBatch = int.MaxValue;
        var logs = new LogCapture();
        var (meter, usage) = await CreateAsync(new UsageOptions { PartitionShards = 1, GatherDelay = TimeSpan.FromMilliseconds(200) },
            proxy.TableServiceUri, logs);
        var records = Enumerable.Range(0, 30).Select(i => Row(i * 3)).ToList();
        var refused = records[17];
        // Every transaction that carries the row is refused whole (413), its fallback form too.
        proxy.SpoilRow(refused.RequestId.Value, int.MaxValue);
        proxy.RefuseWholeBatchesWith(413);

        await Task.WhenAll(records.Select(meter.RecordAsync));

        var (rows, counters) = await ReadAsync(usage);
        Assert.Equal(29, rows.Count);
        Assert.Equal(29, counters.Sum(c => c.GetInt64("Requests")));
        Assert.DoesNotContain(rows, r => r.GetString("RequestId") == refused.RequestId.Value);
        // Halving 30 rows finds the row in at most 5 splits: 6 refusals, and one more for its fallback form.
        Assert.InRange(proxy.RowsSpoiled, 2, 7);
        Assert.Contains(refused.RequestId.Value, Assert.Single(logs.Lines, l => l.Contains("could not be written", StringComparison.Ordinal)),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task RowsFullOfLongText_GoInTransactionsUnder4MiB_AndAllCommit()
    {
        var (meter, usage) = await CreateAsync(new UsageOptions { PartitionShards = 1, GatherDelay = TimeSpan.FromMilliseconds(300) });
        var transactions = new ConcurrentQueue<long>();
        meter.TransactionObserver = (_, actions) => transactions.Enqueue(TableLimits.TransactionBytes(actions));
        // Every text field at its longest, of a character JSON escapes (6 bytes each): some 40 KB a row, so 100
        // rows, which the entity count alone would let into one transaction, are over Azure's 4 MiB.
        var text = new string('<', UsageTable.MaxTextLength);
        var records = Enumerable.Range(0, 98).Select(i => Row(i * 3) with
        {
            Model = text, UpstreamModel = text, Provider = text, RouteId = text, RouteRegion = text, RouteRetention = text, ErrorCode = text,
        }).ToList();

        await Task.WhenAll(records.Select(meter.RecordAsync));

        Assert.Equal(98, (await ReadAsync(usage)).Rows.Count);
        Assert.True(transactions.Count > 1);
        Assert.All(transactions, bytes => Assert.InRange(bytes, 1, TableLimits.MaxTransactionBytes));
    }

    [Fact]
    public async Task ARowAzureWouldRefuse_IsNeverSent_TheOthersCommit_AndItIsWrittenInItsFallbackForm()
    {
        var (meter, usage) = await CreateAsync(new UsageOptions { PartitionShards = 1, GatherDelay = TimeSpan.FromMilliseconds(200) });
        var sent = new ConcurrentQueue<TableTransactionAction>();
        meter.TransactionObserver = (_, actions) =>
        {
            foreach (var action in actions)
            {
                sent.Enqueue(action);
            }
        };
        var records = Enumerable.Range(0, 10).Select(i => Row(i * 3)).ToList();
        // A key id (not a client's text, so not bounded on the way in) over Azure's 32 K limit for a string.
        var oversized = records[4] with { KeyId = new string('k', TableLimits.MaxStringLength + 1) };
        records[4] = oversized;

        await Task.WhenAll(records.Select(meter.RecordAsync));

        Assert.All(sent, a => Assert.Null(TableLimits.Violation((TableEntity)a.Entity)));
        var (rows, counters) = await ReadAsync(usage);
        Assert.Equal(10, rows.Count);
        Assert.Equal(10, counters.Sum(c => c.GetInt64("Requests")));
        var fallback = Assert.Single(rows, r => r.GetBoolean("StorageFallback") == true);
        Assert.Equal(oversized.RequestId.Value, fallback.GetString("RequestId"));
        Assert.InRange(fallback.GetString("KeyId")!.Length, 1, 128 + 17);
    }

    internal static UsageRecord Row(int i) => new()
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

    internal static async Task<(UsageMeter Meter, TableClient Usage)> CreateAsync(UsageOptions options, Uri? tableServiceUri = null,
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

    internal static async Task<(List<TableEntity> Rows, List<TableEntity> Counters)> ReadAsync(TableClient usage)
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
