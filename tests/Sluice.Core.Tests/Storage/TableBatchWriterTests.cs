using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Sluice.Storage;
using Sluice.Testing;
using Sluice.Usage;
using Xunit.Abstractions;

namespace Sluice.Core.Tests.Storage;

/// <summary>The lean transaction writer against Azurite: what it writes reads back exactly as what the SDK writes,
/// and its failures and ETags mean what the SDK's meant to the meter.</summary>
public sealed class TableBatchWriterTests
{
    [Fact]
    public async Task RowsAndCounters_ReadBackWithTheSdk_IdenticalInValueAndType_ToTheSdksOwnWrites()
    {
        var (sdk, sdkTable) = await CreateAsync();
        var (lean, leanTable) = await CreateAsync();
        UsageRecord[] records =
        [
            // Nulls everywhere they can be, and whole-number doubles (which must stay doubles, not become Int32).
            Record() with { LatencyMs = 3.0 },
            Record() with
            {
                Provider = "openai", RouteId = "r1", RouteRegion = "eu", RouteRetention = "30d", UpstreamModel = "gpt-x-2",
                PromptTokens = 12, CompletionTokens = 34, CostNanoUsd = long.MaxValue - 1, LatencyMs = 1234.5678,
                TimeToFirstTokenMs = 100.0, Status = 502, ErrorCode = "upstream_timeout", Streamed = true, UsageEstimated = true,
                ContentBlob = "acct/2026-01-02/x", ContentExpiresOn = "2026-02-01",
            },
        ];
        var pk = sdkTable.PartitionKey(records[0]);
        var counter = UsageCounter.Empty("gpt-x").Add(records[0]).Add(records[1]);
        List<TableTransactionAction> Actions(UsageTable table) =>
        [
            .. records.Select(r => new TableTransactionAction(TableTransactionActionType.Add, table.ToEntity(r))),
            new(TableTransactionActionType.Add, counter.ToEntity(table.PartitionKey(records[0]), UsageTable.CounterRowKey("gpt-x"), default)),
        ];

        await sdkTable.Client.SubmitTransactionAsync(Actions(sdkTable));
        await leanTable.Batches.SubmitAsync(Actions(leanTable));

        foreach (var rowKey in records.Select(r => UsageTable.RowKey(r.RequestId)).Append(UsageTable.CounterRowKey("gpt-x")))
        {
            var expected = (await sdk.Usage.GetEntityAsync<TableEntity>(pk, rowKey)).Value;
            var actual = (await lean.Usage.GetEntityAsync<TableEntity>(pk, rowKey)).Value;
            Assert.Equal(Properties(expected), Properties(actual));
        }
        var row = (await lean.Usage.GetEntityAsync<TableEntity>(pk, UsageTable.RowKey(records[0].RequestId))).Value;
        Assert.IsType<double>(row["LatencyMs"]);
        Assert.IsType<long>(row["CostNanoUsd"]);
        Assert.IsType<DateTimeOffset>(row["CreatedAt"]);
    }

    [Fact]
    public async Task ReturnedETags_AreTheStoredOnes_AndAStaleCounterFails412_ADuplicateRowFails409_AtTheirIndex()
    {
        var (storage, table) = await CreateAsync();
        var first = Record();
        var pk = table.PartitionKey(first);
        var counterKey = UsageTable.CounterRowKey(first.Model);
        var counter = UsageCounter.Empty(first.Model).Add(first);

        var etags = await table.Batches.SubmitAsync(
        [
            new(TableTransactionActionType.Add, table.ToEntity(first)),
            new(TableTransactionActionType.Add, counter.ToEntity(pk, counterKey, default)),
        ]);
        Assert.Equal((await storage.Usage.GetEntityAsync<TableEntity>(pk, UsageTable.RowKey(first.RequestId))).Value.ETag, etags[0]);
        var created = etags[1];
        Assert.Equal((await storage.Usage.GetEntityAsync<TableEntity>(pk, counterKey)).Value.ETag, created);

        var second = Record();
        var replaced = (await table.Batches.SubmitAsync(
        [
            new(TableTransactionActionType.Add, table.ToEntity(second)),
            new(TableTransactionActionType.UpdateReplace, counter.Add(second).ToEntity(pk, counterKey, created), created),
        ]))[1];
        Assert.NotEqual(created, replaced);
        var stored = (await storage.Usage.GetEntityAsync<TableEntity>(pk, counterKey)).Value;
        Assert.Equal(stored.ETag, replaced);
        Assert.Equal(2, stored.GetInt64("Requests"));

        // The counter moved on: the old ETag is stale, and nothing of the transaction is written.
        var third = Record();
        var stale = await Assert.ThrowsAsync<TableBatchFailedException>(() => table.Batches.SubmitAsync(
        [
            new(TableTransactionActionType.Add, table.ToEntity(third)),
            new(TableTransactionActionType.UpdateReplace, counter.ToEntity(pk, counterKey, created), created),
        ]));
        Assert.Equal(412, stale.Status);
        Assert.Equal(1, stale.FailedActionIndex);
        Assert.False((await storage.Usage.GetEntityIfExistsAsync<TableEntity>(pk, UsageTable.RowKey(third.RequestId))).HasValue);

        var duplicate = await Assert.ThrowsAsync<TableBatchFailedException>(() => table.Batches.SubmitAsync(
        [
            new(TableTransactionActionType.Add, table.ToEntity(third)),
            new(TableTransactionActionType.Add, table.ToEntity(second)),
            new(TableTransactionActionType.UpdateReplace, counter.ToEntity(pk, counterKey, replaced), replaced),
        ]));
        Assert.Equal(409, duplicate.Status);
        Assert.Equal(1, duplicate.FailedActionIndex);
        Assert.DoesNotContain(first.AccountId, duplicate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtherActionKinds_AreRefused()
    {
        var (_, table) = await CreateAsync();
        await Assert.ThrowsAsync<NotSupportedException>(() => table.Batches.SubmitAsync(
            [new(TableTransactionActionType.UpsertMerge, table.ToEntity(Record()))]));
    }

    [Fact]
    public void AConnectionStringWithoutAnAccountKey_StopsTheAppAtStart_WithoutEchoingIt()
    {
        const string sas = "sv=2024-11-04&ss=bt&srt=sco&sp=rwdlacu&se=2030-01-01T00:00:00Z&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D";
        var options = new StorageOptions
        {
            ConnectionString = $"TableEndpoint=https://acct.table.core.windows.net;BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature={sas}",
        };

        var e = Assert.Throws<InvalidOperationException>(() => new SluiceStorage(Options.Create(options), Options.Create(new StampOptions())));

        Assert.Contains("AccountKey", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", e.Message, StringComparison.Ordinal);
    }

    internal static UsageRecord Record() => new()
    {
        RequestId = RequestId.New(DateTimeOffset.UtcNow),
        AccountId = "acct_batch_writer",
        KeyId = "key_0123456789abcdef",
        DataRegion = "us",
        Model = "gpt-x",
        Status = 200,
        PromptTokens = 5,
        CompletionTokens = 7,
        CostNanoUsd = 1234,
        LatencyMs = 42.25,
    };

    internal static async Task<(SluiceStorage Storage, UsageTable Table)> CreateAsync()
    {
        var storage = new SluiceStorage(
            Options.Create(new StorageOptions { ConnectionString = await Azurite.ConnectionStringAsync(), TablePrefix = Azurite.UniqueName() }),
            Options.Create(new StampOptions()));
        await storage.Usage.CreateIfNotExistsAsync();
        // One shard, so every record of a test lands in one partition.
        return (storage, new UsageTable(storage, Options.Create(new UsageOptions { PartitionShards = 1 })));
    }

    /// <summary>Every stored property with its value and CLR type, as the SDK reads it; the service's own
    /// (ETag, Timestamp) differ between any two writes.</summary>
    private static List<string> Properties(TableEntity e) =>
    [
        .. e.Where(p => p.Key is not ("odata.etag" or "Timestamp"))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value} ({p.Value?.GetType().Name})"),
    ];
}

/// <summary>Measured alone: allocation counters are process-wide, so no other test may run meanwhile.</summary>
[CollectionDefinition(nameof(AllocationMeasurements), DisableParallelization = true)]
public sealed class AllocationMeasurements;

[Collection(nameof(AllocationMeasurements))]
public sealed class TableBatchWriterAllocationTests(ITestOutputHelper output)
{
    private const int RowsPerTransaction = 99;
    private const int Transactions = 5;

    [Fact]
    public async Task ARowCostsAFifthOfTheSdksAllocations_OrLess()
    {
        var (_, sdkTable) = await TableBatchWriterTests.CreateAsync();
        var (_, leanTable) = await TableBatchWriterTests.CreateAsync();

        var sdk = await MeasureAsync(sdkTable, actions => sdkTable.Client.SubmitTransactionAsync(actions));
        var lean = await MeasureAsync(leanTable, actions => leanTable.Batches.SubmitAsync(actions));

        output.WriteLine($"Bytes allocated per row: SDK {sdk:F0}, TableBatchWriter {lean:F0}.");
        Assert.True(lean * 5 < sdk, $"TableBatchWriter allocates {lean:F0} B/row, the SDK {sdk:F0} B/row.");
    }

    /// <summary>Bytes allocated per entity by the submit alone (the entities are built beforehand), after one warm-up
    /// transaction.</summary>
    private static async Task<double> MeasureAsync(UsageTable table, Func<List<TableTransactionAction>, Task> submit)
    {
        var batches = Enumerable.Range(0, Transactions + 1).Select(_ => Batch(table)).ToList();
        await submit(batches[0]);
        long bytes = 0;
        foreach (var batch in batches.Skip(1))
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await submit(batch);
            bytes += GC.GetTotalAllocatedBytes(precise: true) - before;
        }
        return bytes / (double)(Transactions * (RowsPerTransaction + 1));
    }

    private static List<TableTransactionAction> Batch(UsageTable table)
    {
        var records = Enumerable.Range(0, RowsPerTransaction).Select(_ => TableBatchWriterTests.Record()).ToList();
        var pk = table.PartitionKey(records[0]);
        var counter = records.Aggregate(UsageCounter.Empty("gpt-x"), (c, r) => c.Add(r));
        return
        [
            .. records.Select(r => new TableTransactionAction(TableTransactionActionType.Add, table.ToEntity(r))),
            // A fresh counter row per transaction: its own key, so each transaction adds it anew.
            new(TableTransactionActionType.Add, counter.ToEntity(pk, UsageTable.CounterRowKey("gpt-x" + Guid.NewGuid().ToString("N")), default)),
        ];
    }
}
