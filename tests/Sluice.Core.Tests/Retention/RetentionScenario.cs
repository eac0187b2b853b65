using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sluice.Accounts;
using Sluice.Core.Tests.Payloads;
using Sluice.Payloads;
using Sluice.Retention;
using Sluice.Testing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Core.Tests.Retention;

/// <summary>
/// One app on a fake clock with helpers to seed data on chosen UTC days and to run the purge at chosen instants.
/// Everything is real storage (Azurite); only time is injected.
/// </summary>
internal sealed class RetentionScenario : IAsyncDisposable
{
    /// <summary>Day D of the tests: 2026-03-10 (UTC).</summary>
    public static readonly DateOnly D = new(2026, 3, 10);

    private RetentionScenario(SluiceApplication app, FakeTimeProvider time)
    {
        App = app;
        Time = time;
    }

    public SluiceApplication App { get; }
    public FakeTimeProvider Time { get; }

    public static DateTimeOffset At(DateOnly day, int hour = 0, int minute = 0, int second = 0) =>
        new(day.ToDateTime(new TimeOnly(hour, minute, second)), TimeSpan.Zero);

    public static async Task<RetentionScenario> StartAsync(params (string Key, string? Value)[] settings)
    {
        // The clock starts the day before D (accounts are created then) and only ever moves forward; data is seeded at
        // any instant through its request id, which carries its own time.
        var time = new FakeTimeProvider(At(D.AddDays(-1), 0, 0, 1));
        var app = await SluiceApplication.StartAsync(settings.ToDictionary(s => s.Key, s => s.Value), time);
        return new RetentionScenario(app, time);
    }

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public void SetNow(DateTimeOffset now) => Time.SetUtcNow(now);

    /// <summary>An account (created at the current instant, before day D in most tests) with the given retention.</summary>
    public async Task<Account> AccountAsync(int contentDays, int usageDays, ContentMode mode = ContentMode.RetainAll)
    {
        var (account, _) = await App.CreateAccountAsync();
        return await SetRetentionAsync(account, new RetentionPolicy(mode, contentDays, usageDays));
    }

    public async Task<Account> SetRetentionAsync(Account account, RetentionPolicy policy)
    {
        var store = Get<AccountStore>();
        var current = await store.GetAsync(account.Id, CancellationToken.None);
        return (await store.TryUpdateAsync(current! with { Retention = policy }, CancellationToken.None))!;
    }

    public async Task<Account> SetLegalHoldAsync(Account account, bool on)
    {
        var store = Get<AccountStore>();
        var current = await store.GetAsync(account.Id, CancellationToken.None);
        return (await store.TryUpdateAsync(current! with { LegalHold = on ? new LegalHold("test", Time.GetUtcNow()) : null }, CancellationToken.None))!;
    }

    /// <summary>A payload blob of a request made at <paramref name="at"/>, kept <paramref name="days"/> days.</summary>
    public async Task<RequestId> PayloadAsync(Account account, DateTimeOffset at, int days)
    {
        var (row, stored) = await PayloadStoreTests.WriteAsync(App, account.Id, "prompt", "answer", days, at);
        Assert.NotNull(stored);
        return row.RequestId;
    }

    /// <summary>A usage row of a request made at <paramref name="at"/>.</summary>
    public static UsageRecord Row(Account account, DateTimeOffset at, string model = "m", int prompt = 10, int completion = 5,
        long cost = 1000, int status = 200, bool estimated = false) => new()
    {
        RequestId = RequestId.New(at),
        AccountId = account.Id,
        KeyId = "key_0000000000000000",
        DataRegion = "us",
        Model = model,
        Status = status,
        PromptTokens = prompt,
        CompletionTokens = completion,
        CostNanoUsd = cost,
        UsageEstimated = estimated,
    };

    public Task RecordAsync(params UsageRecord[] rows) => Task.WhenAll(rows.Select(Get<UsageMeter>().RecordAsync));

    public async Task<PurgeRunResult> PurgeAtAsync(DateTimeOffset now)
    {
        SetNow(now);
        return await Get<PurgeEngine>().RunAsync(CancellationToken.None);
    }

    /// <summary>Runs until a run completes (each may stop at the budget); returns how many runs it took.</summary>
    public async Task<int> PurgeUntilDoneAsync(DateTimeOffset now, int maxRuns = 200)
    {
        SetNow(now);
        for (var i = 1; i <= maxRuns; i++)
        {
            var result = await Get<PurgeEngine>().RunAsync(CancellationToken.None);
            if (result.Status == "completed")
            {
                return i;
            }
        }
        throw new InvalidOperationException("The purge never completed.");
    }

    public async Task<bool> BlobExistsAsync(Account account, RequestId id) =>
        await App.Storage.Payloads.GetBlobClient(PayloadStore.BlobName(account.Id, id)).ExistsAsync();

    public async Task<List<string>> BlobNamesAsync(Account account)
    {
        var names = new List<string>();
        await foreach (var blob in App.Storage.Payloads.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None,
            Azure.Storage.Blobs.Models.BlobStates.None, account.Id + "/", default))
        {
            names.Add(blob.Name);
        }
        return names;
    }

    /// <summary>The account's per-request rows (counters excluded).</summary>
    public async Task<List<UsageRecord>> RowsAsync(Account account)
    {
        var rows = new List<UsageRecord>();
        var from = account.Id + "|";
        await foreach (var e in App.Storage.Usage.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {from + "~"} and RowKey lt {"~"}")))
        {
            rows.Add(UsageTable.FromEntity(e));
        }
        return rows;
    }

    /// <summary>Everything of the account in the usage table, counters included.</summary>
    public async Task<int> UsageEntitiesAsync(Account account)
    {
        var n = 0;
        var from = account.Id + "|";
        await foreach (var _ in App.Storage.Usage.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {from + "~"}")))
        {
            n++;
        }
        return n;
    }

    /// <summary>The materialised rollup rows of the account (markers excluded), keyed <c>yyyyMMdd|model</c>.</summary>
    public async Task<Dictionary<string, TableEntity>> RollupRowsAsync(Account account)
    {
        var rows = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        await foreach (var e in App.Storage.Rollups.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {account.Id} and RowKey lt {"~"}")))
        {
            rows[e.RowKey] = e;
        }
        return rows;
    }

    /// <summary>What a day's rollup must be, recomputed from the rows themselves.</summary>
    public static Dictionary<string, long[]> SumsFromRows(IEnumerable<UsageRecord> rows) =>
        rows.GroupBy(r => RollupTable.RowKey(UsageTable.DayKey(r.RequestId.CreatedAt), r.Model))
            .ToDictionary(g => g.Key, g => new long[]
            {
                g.Count(), g.Sum(r => (long)r.PromptTokens), g.Sum(r => (long)r.CompletionTokens), g.Sum(r => r.CostNanoUsd),
                g.Count(r => r.IsError), g.Count(r => r.UsageEstimated),
            });

    public static long[] Values(TableEntity e) =>
    [
        e.GetInt64("Requests") ?? 0, e.GetInt64("PromptTokens") ?? 0, e.GetInt64("CompletionTokens") ?? 0,
        e.GetInt64("CostNanoUsd") ?? 0, e.GetInt64("Errors") ?? 0, e.GetInt64("Estimated") ?? 0,
    ];

    public static long[] Values(DailyRollup r) => [r.Requests, r.PromptTokens, r.CompletionTokens, r.CostNanoUsd, r.Errors, r.Estimated];

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
