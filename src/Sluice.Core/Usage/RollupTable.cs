using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.Usage;

/// <summary>A counter row of one usage partition, as read for folding.</summary>
public sealed record DayCounter(string PartitionKey, string RowKey, UsageCounter Counter, ETag ETag)
{
    /// <summary>Which counter this is within its day: shard and generation.</summary>
    public string PartKey => PartitionKey[(PartitionKey.LastIndexOf('|') + 1)..] + ":" + Counter.Generation;
}

/// <summary>
/// Daily rollups: PartitionKey the account id, RowKey <c>{yyyyMMdd}|{model}</c> (plus a <c>~materialized</c> row
/// holding the last day written). A rollup row keeps, beside its totals, the values of each counter row folded into
/// it (<c>Parts</c>, keyed by shard and counter generation), so folding is a replace of that part: folding the same
/// counter twice, or a grown counter again, gives the same totals, and the totals are always the sum of the day's
/// counters, which are the sum of its rows. Each counter's part is kept per surface (<see cref="UsageCounter.ByEndpoint"/>):
/// Chat Completions under the counter's own key, every other surface under the key and <c>@{endpoint}</c>, so a
/// rollup row written before the breakdown (its parts under bare keys) reads as Chat Completions, and folding such a
/// counter again moves its other surfaces' share out of the bare key into their own.
/// </summary>
public sealed class RollupTable(SluiceStorage storage)
{
    private const string WatermarkRow = "~materialized";
    private const int Fields = 6;

    public TableClient Client => storage.Rollups;

    /// <summary>The rollup row of a model's day: the model as a key (<see cref="TableKey"/>) after the day.</summary>
    public static string RowKey(string dayKey, string model) => dayKey + "|" + TableKey.Encode(model, TableKey.MaxLength - dayKey.Length - 1);

    public static DateOnly ParseDayKey(string dayKey) => DateOnly.ParseExact(dayKey, "yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>The counter rows of one account's day, across all its shard partitions.</summary>
    public async Task<List<DayCounter>> ReadDayCountersAsync(string accountId, string dayKey, CancellationToken cancellationToken)
    {
        var from = UsageTable.DayPrefix(accountId, dayKey);
        var to = from + "~";
        var rkFrom = UsageTable.CounterPrefix;
        var rkTo = UsageTable.CounterPrefix + "~";
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {to} and RowKey ge {rkFrom} and RowKey lt {rkTo}");
        var list = new List<DayCounter>();
        await foreach (var e in storage.Usage.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            list.Add(new DayCounter(e.PartitionKey, e.RowKey, UsageCounter.FromEntity(e), e.ETag));
        }
        return list;
    }

    /// <summary>Folds counters of one day into its rollup rows; returns how many rollup rows changed.</summary>
    public async Task<int> FoldAsync(string accountId, string dayKey, IReadOnlyCollection<DayCounter> counters, CancellationToken cancellationToken)
    {
        var changed = 0;
        foreach (var byModel in counters.GroupBy(c => c.Counter.Model, StringComparer.Ordinal))
        {
            var rowKey = RowKey(dayKey, byModel.Key);
            for (var attempt = 1; ; attempt++)
            {
                var stored = await Client.GetEntityIfExistsAsync<TableEntity>(accountId, rowKey, cancellationToken: cancellationToken);
                var parts = stored.HasValue ? ReadParts(stored.Value!) : new Dictionary<string, long[]>(StringComparer.Ordinal);
                var dirty = false;
                foreach (var c in byModel)
                {
                    foreach (var (endpoint, values) in c.Counter.ByEndpoint())
                    {
                        var key = PartKey(c, endpoint);
                        if (!parts.TryGetValue(key, out var old) || !old.AsSpan().SequenceEqual(values))
                        {
                            parts[key] = values;
                            dirty = true;
                        }
                    }
                }
                if (!dirty)
                {
                    break;
                }
                var entity = ToEntity(accountId, rowKey, dayKey, byModel.Key, parts);
                try
                {
                    if (stored.HasValue)
                    {
                        await Client.UpdateEntityAsync(entity, stored.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                    }
                    else
                    {
                        await Client.AddEntityAsync(entity, cancellationToken);
                    }
                    changed++;
                    break;
                }
                catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < 10)
                {
                    // Someone folded at the same moment: read again and merge.
                }
            }
        }
        return changed;
    }

    /// <summary>The last day whose rollups have been materialised, if any.</summary>
    public async Task<DateOnly?> WatermarkAsync(string accountId, CancellationToken cancellationToken)
    {
        var row = await Client.GetEntityIfExistsAsync<TableEntity>(accountId, WatermarkRow, cancellationToken: cancellationToken);
        return row.HasValue && row.Value!.GetString("Through") is { Length: 8 } through ? ParseDayKey(through) : null;
    }

    public Task SetWatermarkAsync(string accountId, DateOnly through, CancellationToken cancellationToken) =>
        Client.UpsertEntityAsync(new TableEntity(accountId, WatermarkRow) { ["Through"] = UsageTable.DayKey(through) },
            TableUpdateMode.Replace, cancellationToken);

    /// <summary>
    /// Totals by day and model for the UTC days <paramref name="from"/> to <paramref name="to"/>, oldest first:
    /// materialised rollup rows, with the live counters of days after the watermark folded over them, so an open day
    /// (or one not yet materialised) is exact too.
    /// </summary>
    public async Task<List<DailyRollup>> TotalsAsync(string accountId, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var byKey = new SortedDictionary<string, (string Model, Dictionary<string, long[]> Parts)>(StringComparer.Ordinal);
        var rkFrom = UsageTable.DayKey(from);
        var rkTo = UsageTable.DayKey(to.AddDays(1));
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {accountId} and RowKey ge {rkFrom} and RowKey lt {rkTo}");
        await foreach (var e in Client.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            byKey[e.RowKey] = (e.GetString("Model") ?? "", ReadParts(e));
        }
        var watermark = await WatermarkAsync(accountId, cancellationToken);
        var liveFrom = watermark is { } w && w >= from ? w.AddDays(1) : from;
        for (var day = liveFrom; day <= to; day = day.AddDays(1))
        {
            var dayKey = UsageTable.DayKey(day);
            foreach (var c in await ReadDayCountersAsync(accountId, dayKey, cancellationToken))
            {
                var rowKey = RowKey(dayKey, c.Counter.Model);
                if (!byKey.TryGetValue(rowKey, out var entry))
                {
                    entry = (c.Counter.Model, new Dictionary<string, long[]>(StringComparer.Ordinal));
                    byKey[rowKey] = entry;
                }
                foreach (var (endpoint, values) in c.Counter.ByEndpoint())
                {
                    entry.Parts[PartKey(c, endpoint)] = values;
                }
            }
        }
        var result = new List<DailyRollup>(byKey.Count);
        foreach (var (rowKey, (model, parts)) in byKey)
        {
            var day = ParseDayKey(rowKey[..8]);
            foreach (var byEndpoint in parts.GroupBy(p => EndpointOf(p.Key), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var sum = Sum(byEndpoint.Select(p => p.Value));
                if (sum.AsSpan().IndexOfAnyExcept(0L) < 0)
                {
                    // A surface whose share moved to its own part (or a counter that served none of it).
                    continue;
                }
                result.Add(new DailyRollup(day, model, sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], Materialized: watermark is { } m && day <= m)
                {
                    Endpoint = byEndpoint.Key,
                });
            }
        }
        return result;
    }

    private const char EndpointMark = '@';

    /// <summary>The part of a counter's surface in a rollup row: Chat Completions under the counter's own key (as
    /// before the breakdown), every other surface under the key and its name.</summary>
    private static string PartKey(DayCounter c, string endpoint) =>
        endpoint == UsageCounter.DefaultEndpoint ? c.PartKey : c.PartKey + EndpointMark + endpoint;

    private static string EndpointOf(string partKey) =>
        partKey.IndexOf(EndpointMark, StringComparison.Ordinal) is var at and >= 0 ? partKey[(at + 1)..] : UsageCounter.DefaultEndpoint;

    private static long[] Sum(IEnumerable<long[]> parts)
    {
        var sum = new long[Fields];
        foreach (var values in parts)
        {
            for (var i = 0; i < Fields && i < values.Length; i++)
            {
                sum[i] += values[i];
            }
        }
        return sum;
    }

    private static Dictionary<string, long[]> ReadParts(TableEntity e) =>
        e.GetString("Parts") is { Length: > 0 } json
            ? new Dictionary<string, long[]>(JsonSerializer.Deserialize(json, UsageJson.Default.DictionaryStringInt64Array)!, StringComparer.Ordinal)
            : new Dictionary<string, long[]>(StringComparer.Ordinal);

    private static TableEntity ToEntity(string accountId, string rowKey, string dayKey, string model, Dictionary<string, long[]> parts)
    {
        var sum = Sum(parts.Values);
        return new TableEntity(accountId, rowKey)
        {
            ["Day"] = dayKey,
            ["Model"] = model,
            ["Requests"] = sum[0],
            ["PromptTokens"] = sum[1],
            ["CompletionTokens"] = sum[2],
            ["CostNanoUsd"] = sum[3],
            ["Errors"] = sum[4],
            ["Estimated"] = sum[5],
            ["Parts"] = JsonSerializer.Serialize(parts, UsageJson.Default.DictionaryStringInt64Array),
        };
    }

    /// <summary>Deletes the account's rollups of days before <paramref name="firstKeptDayKey"/>, within the run's budget.</summary>
    public Task<long> DeleteBeforeAsync(string accountId, string firstKeptDayKey, PurgeRun run, CancellationToken cancellationToken) =>
        TableDeletes.DeleteWhereAsync(Client, TableClient.CreateQueryFilter($"PartitionKey eq {accountId} and RowKey lt {firstKeptDayKey}"),
            run, "rollups", cancellationToken);

    /// <summary>Deletes the account's whole partition (rollups and watermark), within the run's budget.</summary>
    public Task<long> DeleteAccountAsync(string accountId, PurgeRun run, CancellationToken cancellationToken) =>
        TableDeletes.DeleteWhereAsync(Client, TableClient.CreateQueryFilter($"PartitionKey eq {accountId}"), run, "rollups", cancellationToken);
}
