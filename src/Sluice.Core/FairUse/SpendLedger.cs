using Azure;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.FairUse;

/// <summary>One instance's spend of one subject in the current UTC day and month, in nano-dollars (the usage rows' unit).</summary>
public readonly record struct SpendTotals(string Day, long DayNanoUsd, string Month, long MonthNanoUsd)
{
    public static string DayKey(DateTimeOffset now) => now.UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);

    public static string MonthKey(DateTimeOffset now) => now.UtcDateTime.ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>These totals as of <paramref name="now"/>: a new day (or month) starts from zero.</summary>
    public SpendTotals At(DateTimeOffset now)
    {
        var (day, month) = (DayKey(now), MonthKey(now));
        return new(day, Day == day ? DayNanoUsd : 0, month, Month == month ? MonthNanoUsd : 0);
    }

    public SpendTotals Add(DateTimeOffset now, long nanoUsd)
    {
        var at = At(now);
        return at with { DayNanoUsd = at.DayNanoUsd + nanoUsd, MonthNanoUsd = at.MonthNanoUsd + nanoUsd };
    }
}

/// <summary>
/// Spend of keys (and, later, members) that the rollups do not break down: each instance writes its own totals per
/// subject, PartitionKey <c>{account}|spend</c>, RowKey <c>{subject}|{instance}</c>, replacing its row in the
/// background; every instance reads the partition to learn the others'. One writer per row, so no write conflicts;
/// rows of past months are deleted by whichever instance reads them.
/// </summary>
public sealed class SpendLedger(SluiceStorage storage)
{
    public Task WriteAsync(string accountId, LimitSubject subject, string instance, SpendTotals totals, CancellationToken cancellationToken) =>
        storage.FairUse.UpsertEntityAsync(new TableEntity(LimitStore.Partition(accountId, "spend"), subject.RowKey + "|" + instance)
        {
            ["Day"] = totals.Day,
            ["DayNanoUsd"] = totals.DayNanoUsd,
            ["Month"] = totals.Month,
            ["MonthNanoUsd"] = totals.MonthNanoUsd,
        }, TableUpdateMode.Replace, cancellationToken);

    /// <summary>The spend of every subject of the account by instances other than <paramref name="instance"/>, as of
    /// <paramref name="now"/>.</summary>
    public async Task<Dictionary<LimitSubject, SpendTotals>> ReadOthersAsync(string accountId, string instance, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = new Dictionary<LimitSubject, SpendTotals>();
        var month = SpendTotals.MonthKey(now);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {LimitStore.Partition(accountId, "spend")}");
        await foreach (var e in storage.FairUse.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var cut = e.RowKey.LastIndexOf('|');
            if (cut < 0 || !LimitSubject.TryParseRowKey(accountId, e.RowKey[..cut], out var subject))
            {
                continue;
            }
            var row = new SpendTotals(e.GetString("Day") ?? "", e.GetInt64("DayNanoUsd") ?? 0, e.GetString("Month") ?? "", e.GetInt64("MonthNanoUsd") ?? 0);
            if (string.CompareOrdinal(row.Month, month) < 0)
            {
                try
                {
                    await storage.FairUse.DeleteEntityAsync(e.PartitionKey, e.RowKey, e.ETag, cancellationToken);
                }
                catch (RequestFailedException x) when (x.Status is 404 or 412)
                {
                    // Its instance wrote this month's spend meanwhile, or another reader deleted it.
                }
                continue;
            }
            if (e.RowKey.AsSpan(cut + 1).SequenceEqual(instance))
            {
                continue;
            }
            var at = row.At(now);
            result[subject] = result.TryGetValue(subject, out var sum)
                ? sum with { DayNanoUsd = sum.DayNanoUsd + at.DayNanoUsd, MonthNanoUsd = sum.MonthNanoUsd + at.MonthNanoUsd }
                : at;
        }
        return result;
    }

    /// <summary>
    /// Claims the soft-threshold note of one budget period: true for exactly one caller across every instance (a
    /// marker row, PartitionKey <c>{account}|notes</c>, RowKey <c>{subject}|{period}</c>, holding the period it was
    /// last claimed for), so the audit entry is written once.
    /// </summary>
    public async Task<bool> ClaimThresholdNoteAsync(string accountId, LimitSubject subject, string period, string periodKey, CancellationToken cancellationToken)
    {
        var (partition, rowKey) = (LimitStore.Partition(accountId, "notes"), subject.RowKey + "|" + period);
        var entity = new TableEntity(partition, rowKey) { ["Period"] = periodKey };
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var stored = await storage.FairUse.GetEntityIfExistsAsync<TableEntity>(partition, rowKey, cancellationToken: cancellationToken);
            if (stored.HasValue && string.CompareOrdinal(stored.Value!.GetString("Period"), periodKey) >= 0)
            {
                return false;
            }
            try
            {
                if (stored.HasValue)
                {
                    await storage.FairUse.UpdateEntityAsync(entity, stored.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                }
                else
                {
                    await storage.FairUse.AddEntityAsync(entity, cancellationToken);
                }
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
            }
        }
        return false;
    }
}
