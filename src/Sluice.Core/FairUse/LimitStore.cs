using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.FairUse;

/// <summary>
/// Limits as set by an account's Owner or Admins, in the fair-use table: PartitionKey <c>{account}|limits</c>, RowKey
/// the subject (<c>account</c>, <c>key|{id}</c>, later <c>member|{id}</c>). Every row of the fair-use table starts its
/// PartitionKey with the account id, so the account's purge removes them all with one range. The fair-use table's
/// owner: its other row kinds are kept by <see cref="SpendLedger"/> and <see cref="RateCounters"/>, in this folder.
/// </summary>
public sealed class LimitStore(SluiceStorage storage)
{
    private const int MaxAttempts = 5;

    public static string Partition(string accountId, string part) => accountId + "|" + part;

    /// <summary>The account purge's step: every fair-use row of the account (limits, spend shares, rate counters,
    /// threshold notes), one PartitionKey range.</summary>
    public Task<long> DeleteAccountAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        var prefix = accountId + "|";
        return TableDeletes.DeleteWhereAsync(storage.FairUse,
            TableClient.CreateQueryFilter($"PartitionKey ge {prefix} and PartitionKey lt {prefix + "~"}"), run, "fair_use", cancellationToken);
    }

    /// <summary>Every subject of the account that has limits of its own.</summary>
    public async Task<Dictionary<LimitSubject, Limits>> ReadAsync(string accountId, CancellationToken cancellationToken)
    {
        var result = new Dictionary<LimitSubject, Limits>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(accountId, "limits")}");
        await foreach (var e in storage.FairUse.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (LimitSubject.TryParseRowKey(accountId, e.RowKey, out var subject))
            {
                result[subject] = FromEntity(e);
            }
        }
        return result;
    }

    /// <summary>Replaces a subject's limits (<see cref="Limits.None"/> removes its row); returns what it had before.</summary>
    public async Task<Limits> SetAsync(string accountId, LimitSubject subject, Limits limits, CancellationToken cancellationToken)
    {
        var partition = Partition(accountId, "limits");
        for (var attempt = 1; ; attempt++)
        {
            var stored = await storage.FairUse.GetEntityIfExistsAsync<TableEntity>(partition, subject.RowKey, cancellationToken: cancellationToken);
            var old = stored.HasValue ? FromEntity(stored.Value!) : Limits.None;
            try
            {
                if (limits.IsNone)
                {
                    if (stored.HasValue)
                    {
                        await storage.FairUse.DeleteEntityAsync(partition, subject.RowKey, stored.Value!.ETag, cancellationToken);
                    }
                }
                else if (stored.HasValue)
                {
                    await storage.FairUse.UpdateEntityAsync(ToEntity(partition, subject.RowKey, limits), stored.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                }
                else
                {
                    await storage.FairUse.AddEntityAsync(ToEntity(partition, subject.RowKey, limits), cancellationToken);
                }
                return old;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && attempt < MaxAttempts)
            {
                // Someone changed the same subject at the same moment: read again, so the audit names the right "before".
            }
        }
    }

    private static TableEntity ToEntity(string partition, string rowKey, Limits limits) => new(partition, rowKey)
    {
        ["DailyBudgetUsd"] = limits.DailyBudgetUsd?.ToString(CultureInfo.InvariantCulture),
        ["MonthlyBudgetUsd"] = limits.MonthlyBudgetUsd?.ToString(CultureInfo.InvariantCulture),
        ["RequestsPerMinute"] = limits.RequestsPerMinute,
        ["TokensPerMinute"] = limits.TokensPerMinute,
    };

    private static Limits FromEntity(TableEntity e) => new(
        Usd(e.GetString("DailyBudgetUsd")), Usd(e.GetString("MonthlyBudgetUsd")), e.GetInt32("RequestsPerMinute"), e.GetInt32("TokensPerMinute"));

    private static decimal? Usd(string? text) =>
        decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;
}
