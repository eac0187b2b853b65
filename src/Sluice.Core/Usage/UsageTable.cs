using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Sluice.Storage;
using Sluice.Wire;

namespace Sluice.Usage;

/// <summary>
/// The usage table's layout. PartitionKey <c>{account}|{yyyyMMdd}|{shard}</c>, RowKey <c>{inverted ms}_{request id}</c>:
/// <list type="bullet">
/// <item>one account's rows over a time range are a few partition-range queries, newest first within each;</item>
/// <item>everything of an account older than a date is one PartitionKey range, deleted in same-partition batches;</item>
/// <item>a busy account's writes spread over <see cref="UsageOptions.PartitionShards"/> partitions per day.</item>
/// </list>
/// Each partition also holds one counter row per model (RowKey <c>~rollup|{model}</c>, the model encoded by
/// <see cref="TableKey"/>), updated in the same transaction as the rows it counts, so a day's counters always equal the
/// sum of its rows. A model name is a client's choice: rows hold it bounded (<see cref="Storable"/>).
/// </summary>
public sealed class UsageTable(SluiceStorage storage, IOptions<UsageOptions> options)
{
    internal const string CounterPrefix = "~rollup|";
    private const long MaxMs = 9_999_999_999_999;

    public TableClient Client => storage.Usage;

    /// <summary>The table for the meter's transactions (no SDK retries: the meter retries them itself).</summary>
    public TableClient Transactions => storage.UsageTransactions;

    public int Shards => options.Value.PartitionShards;

    public static string DayKey(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string DayKey(DateOnly day) => day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public string PartitionKey(UsageRecord record) =>
        PartitionKey(record.AccountId, DayKey(record.RequestId.CreatedAt), (int)(record.RequestId.Random % (ulong)Shards));

    public static string PartitionKey(string accountId, string dayKey, int shard) =>
        string.Create(CultureInfo.InvariantCulture, $"{accountId}|{dayKey}|{shard}");

    /// <summary>The first PartitionKey of <paramref name="dayKey"/> for an account; the day's range ends before <c>…|{day}|~</c>.</summary>
    public static string DayPrefix(string accountId, string dayKey) => $"{accountId}|{dayKey}|";

    public static string AccountPrefix(string accountId) => accountId + "|";

    public static string RowKey(RequestId id) =>
        string.Create(CultureInfo.InvariantCulture, $"{MaxMs - id.CreatedAt.ToUnixTimeMilliseconds():D13}_{id.Value}");

    /// <summary>RowKey bound for an instant: rows at or after it sort before this key.</summary>
    private static string RowKeyBound(DateTimeOffset time) =>
        string.Create(CultureInfo.InvariantCulture, $"{MaxMs - time.ToUnixTimeMilliseconds():D13}");

    /// <summary>The counter row of a model in a usage partition: the model as a key (<see cref="TableKey"/>).</summary>
    public static string CounterRowKey(string model) => CounterPrefix + TableKey.Encode(model, TableKey.MaxLength - CounterPrefix.Length);

    /// <summary>The longest text a usage row keeps in a field from a client, an upstream or a route (model names
    /// above all); longer text is kept shortened, with a fingerprint of the whole (<see cref="Storable"/>).</summary>
    public const int MaxTextLength = 1024;

    /// <summary>The fallback form keeps this much of each text field (see <see cref="Fallback"/>).</summary>
    private const int FallbackTextLength = 128;

    /// <summary>
    /// The record as a usage row holds it: every text field within <see cref="MaxTextLength"/> and storable (no
    /// unpaired surrogates), so any model name a client sends fits a row, a counter and a rollup. Ordinary values stay
    /// as they are; a longer one keeps its start and <c>~</c> plus a fingerprint of the whole, so two long names
    /// that share a start still count apart.
    /// </summary>
    public static UsageRecord Storable(UsageRecord r) => WithText(r, Bounded);

    /// <summary>
    /// The form a row takes when storage refused it as it was: each text field cut to its first 128 characters, those
    /// outside printable ASCII replaced by <c>_</c>, and (when anything was changed) <c>~</c> plus a fingerprint of the
    /// original; <see cref="UsageRecord.StorageFallback"/> set. The request id and account (the row's keys), tokens,
    /// cost, status and times are kept, so the request is still billed and can still be found.
    /// </summary>
    public static UsageRecord Fallback(UsageRecord r) => WithText(r with
    {
        KeyId = Printable(r.KeyId),
        DataRegion = Printable(r.DataRegion),
        ContentBlob = Printable(r.ContentBlob),
        ContentExpiresOn = Printable(r.ContentExpiresOn),
        StorageFallback = true,
    }, Printable);

    /// <summary>The record with every text field a client, an upstream or a route fills passed through <paramref name="text"/>.</summary>
    private static UsageRecord WithText(UsageRecord r, Func<string?, string?> text) => r with
    {
        Endpoint = text(r.Endpoint),
        Model = text(r.Model)!,
        Provider = text(r.Provider),
        RouteId = text(r.RouteId),
        RouteRegion = text(r.RouteRegion),
        RouteRetention = text(r.RouteRetention),
        UpstreamModel = text(r.UpstreamModel),
        ErrorCode = text(r.ErrorCode),
    };

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    private static string? Bounded(string? value)
    {
        if (value is null || (value.Length <= MaxTextLength && !value.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF')))
        {
            return value;
        }
        return value.Length <= MaxTextLength
            ? TableLimits.StorableText(value, MaxTextLength)
            : TableLimits.StorableText(value, MaxTextLength - 17) + "~" + TableKey.Fingerprint(value);
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    private static string? Printable(string? value)
    {
        if (value is null)
        {
            return null;
        }
        var kept = value.Length <= FallbackTextLength ? value : value[..FallbackTextLength];
        var safe = string.Create(kept.Length, kept, static (span, text) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = text[i] is >= ' ' and <= '~' ? text[i] : '_';
            }
        });
        return safe == value ? value : safe + "~" + TableKey.Fingerprint(value);
    }

    public TableEntity ToEntity(UsageRecord r)
    {
        var e = new TableEntity(PartitionKey(r), RowKey(r.RequestId))
        {
            ["RequestId"] = r.RequestId.Value,
            ["AccountId"] = r.AccountId,
            ["KeyId"] = r.KeyId,
            ["DataRegion"] = r.DataRegion,
            ["Endpoint"] = r.Endpoint,
            ["Model"] = r.Model,
            ["Provider"] = r.Provider,
            ["RouteId"] = r.RouteId,
            ["RouteRegion"] = r.RouteRegion,
            ["RouteRetention"] = r.RouteRetention,
            ["UpstreamModel"] = r.UpstreamModel,
            ["PromptTokens"] = r.PromptTokens,
            ["CompletionTokens"] = r.CompletionTokens,
            ["TotalTokens"] = r.TotalTokens,
            ["CostNanoUsd"] = r.CostNanoUsd,
            ["CachedTokens"] = r.CachedTokens,
            ["CacheCreationTokens"] = r.CacheCreationTokens,
            ["ReasoningTokens"] = r.ReasoningTokens,
            ["LatencyMs"] = r.LatencyMs,
            ["TimeToFirstTokenMs"] = r.TimeToFirstTokenMs,
            ["Status"] = r.Status,
            ["ErrorCode"] = r.ErrorCode,
            ["Streamed"] = r.Streamed,
            ["UsageEstimated"] = r.UsageEstimated,
            ["CreatedAt"] = r.RequestId.CreatedAt,
            ["ContentBlob"] = r.ContentBlob,
            ["ContentExpiresOn"] = r.ContentExpiresOn,
        };
        if (r.StorageFallback)
        {
            e["StorageFallback"] = true;
        }
        return e;
    }

    public static UsageRecord FromEntity(TableEntity e)
    {
        if (!RequestId.TryParse(e.GetString("RequestId"), out var id))
        {
            throw new InvalidDataException("A usage row has no valid request id.");
        }
        return new UsageRecord
        {
            RequestId = id,
            AccountId = e.GetString("AccountId") ?? "",
            KeyId = e.GetString("KeyId") ?? "",
            DataRegion = e.GetString("DataRegion") ?? "",
            Endpoint = e.GetString("Endpoint"),
            Model = e.GetString("Model") ?? "",
            Provider = e.GetString("Provider"),
            RouteId = e.GetString("RouteId"),
            RouteRegion = e.GetString("RouteRegion"),
            RouteRetention = e.GetString("RouteRetention"),
            UpstreamModel = e.GetString("UpstreamModel"),
            PromptTokens = e.GetInt32("PromptTokens") ?? 0,
            CompletionTokens = e.GetInt32("CompletionTokens") ?? 0,
            CostNanoUsd = e.GetInt64("CostNanoUsd") ?? 0,
            CachedTokens = e.GetInt32("CachedTokens") ?? 0,
            CacheCreationTokens = e.GetInt32("CacheCreationTokens") ?? 0,
            ReasoningTokens = e.GetInt32("ReasoningTokens") ?? 0,
            LatencyMs = e.GetDouble("LatencyMs") ?? 0,
            TimeToFirstTokenMs = e.GetDouble("TimeToFirstTokenMs"),
            Status = e.GetInt32("Status") ?? 0,
            ErrorCode = e.GetString("ErrorCode"),
            Streamed = e.GetBoolean("Streamed") ?? false,
            UsageEstimated = e.GetBoolean("UsageEstimated") ?? false,
            // Erasure leaves empty strings behind (a merge cannot remove a property).
            ContentBlob = e.GetString("ContentBlob") is { Length: > 0 } blob ? blob : null,
            ContentExpiresOn = e.GetString("ContentExpiresOn") is { Length: > 0 } expires ? expires : null,
            StorageFallback = e.GetBoolean("StorageFallback") ?? false,
        };
    }

    /// <summary>One request's row, found from its id alone.</summary>
    public async Task<(UsageRecord Record, TableEntity Entity)?> GetAsync(string accountId, RequestId id, CancellationToken cancellationToken)
    {
        var day = DayKey(id.CreatedAt);
        var from = DayPrefix(accountId, day);
        var to = from + "~";
        var rk = RowKey(id);
        // A range over the day's few partitions rather than a point read: finding a row must not depend on the
        // shard count it was written under.
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {to} and RowKey eq {rk}");
        await foreach (var e in Client.QueryAsync<TableEntity>(filter, maxPerPage: 1, cancellationToken: cancellationToken))
        {
            return (FromEntity(e), e);
        }
        return null;
    }

    /// <summary>An account's rows between two instants, newest first: per day from the newest, the day's shard
    /// partitions merged by RowKey.</summary>
    public async IAsyncEnumerable<UsageRecord> QueryAsync(string accountId, DateTimeOffset from, DateTimeOffset to,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rkFrom = RowKeyBound(to);
        var rkTo = RowKeyBound(from) + "~";
        for (var day = DateOnly.FromDateTime(to.UtcDateTime); day >= DateOnly.FromDateTime(from.UtcDateTime); day = day.AddDays(-1))
        {
            var heads = new List<IAsyncEnumerator<TableEntity>>(Shards);
            try
            {
                for (var shard = 0; shard < Shards; shard++)
                {
                    var pk = PartitionKey(accountId, DayKey(day), shard);
                    var filter = TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey ge {rkFrom} and RowKey lt {rkTo}");
                    var enumerator = Client.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
                    if (await enumerator.MoveNextAsync())
                    {
                        heads.Add(enumerator);
                    }
                    else
                    {
                        await enumerator.DisposeAsync();
                    }
                }
                while (heads.Count > 0)
                {
                    var newest = 0;
                    for (var i = 1; i < heads.Count; i++)
                    {
                        if (string.CompareOrdinal(heads[i].Current.RowKey, heads[newest].Current.RowKey) < 0)
                        {
                            newest = i;
                        }
                    }
                    yield return FromEntity(heads[newest].Current);
                    if (!await heads[newest].MoveNextAsync())
                    {
                        await heads[newest].DisposeAsync();
                        heads.RemoveAt(newest);
                    }
                }
            }
            finally
            {
                foreach (var head in heads)
                {
                    await head.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Clears a row's content reference after its content was erased; the metadata stays.</summary>
    public Task ClearContentAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        var patch = new TableEntity(entity.PartitionKey, entity.RowKey) { ["ContentBlob"] = "", ["ContentExpiresOn"] = "" };
        return Client.UpdateEntityAsync(patch, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    // Range deletes and the purge's queries. Partition keys are {account}|{yyyyMMdd}|{shard}; counters have RowKeys from
    // '~' (CounterPrefix), request rows sort below it.

    /// <summary>The account's oldest day (<c>yyyyMMdd</c>) with rows or counters before <paramref name="firstKept"/>, or null.</summary>
    public async Task<string?> OldestDayBeforeAsync(string accountId, string firstKept, CancellationToken cancellationToken)
    {
        var from = AccountPrefix(accountId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {from + firstKept}");
        await foreach (var e in Client.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: s_partitionKeyOnly, cancellationToken: cancellationToken))
        {
            var parts = e.PartitionKey.Split('|');
            return parts.Length == 3 ? parts[1] : null;
        }
        return null;
    }

    /// <summary>Deletes the request rows (not the counters) of one of the account's days, every shard, within the run's budget.</summary>
    public Task<long> DeleteDayRowsAsync(string accountId, string dayKey, PurgeRun run, CancellationToken cancellationToken)
    {
        var from = DayPrefix(accountId, dayKey);
        return TableDeletes.DeleteWhereAsync(Client,
            TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {from + "~"} and RowKey lt {"~"}"), run, "usage_rows", cancellationToken);
    }

    /// <summary>Deletes a day counter unless a row moved it on since it was read (its ETag); false when it did (412) or
    /// it is gone (404), and the next pass folds it again.</summary>
    public async Task<bool> DeleteCounterIfUnchangedAsync(DayCounter counter, CancellationToken cancellationToken)
    {
        try
        {
            await Client.DeleteEntityAsync(counter.PartitionKey, counter.RowKey, counter.ETag, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>Deletes every row and counter of the account, every day, within the run's budget.</summary>
    public Task<long> DeleteAccountAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        var prefix = AccountPrefix(accountId);
        return TableDeletes.DeleteWhereAsync(Client,
            TableClient.CreateQueryFilter($"PartitionKey ge {prefix} and PartitionKey lt {prefix + "~"}"), run, "usage_rows", cancellationToken);
    }

    /// <summary>Every request row of the account (no counters), oldest day first, for the export.</summary>
    public async IAsyncEnumerable<UsageRecord> AllRowsAsync(string accountId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var from = AccountPrefix(accountId);
        var rowsOnly = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {from + "~"} and RowKey lt {"~"}");
        await foreach (var entity in Client.QueryAsync<TableEntity>(rowsOnly, cancellationToken: cancellationToken))
        {
            yield return FromEntity(entity);
        }
    }

    private static readonly string[] s_partitionKeyOnly = ["PartitionKey"];
}
