using Azure;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.FairUse;

public enum RateResource
{
    Requests,
    Tokens,
}

/// <summary>
/// The shared side of a rate limit: one counter entity per subject and resource, PartitionKey <c>{account}|rate</c>,
/// RowKey <c>{subject}|{requests|tokens}</c>, holding the current UTC minute and how much of the limit has been leased
/// to instances in it. A lease is a conditional write (the entity's ETag): two instances never both take the last share,
/// so the sum of all leases in a minute never exceeds the limit. One entity per subject and resource, rewritten each
/// minute, so the table does not grow with time.
/// </summary>
public sealed class RateCounters(SluiceStorage storage)
{
    /// <summary>Each failed attempt means another instance's lease succeeded, so this many instances can lease one
    /// limit at the same moment before one of them gives up (and refuses its request while shares may be left).</summary>
    private const int MaxAttempts = 16;

    /// <summary>The counter as this instance last saw it; saves the read before the next lease.</summary>
    internal sealed record Seen(long Window, long Granted, ETag ETag);

    /// <summary>Amount leased (0: the minute has less than was needed left) and the minute's total leased.</summary>
    internal readonly record struct Lease(long Granted, long TotalGranted, Seen? Counter);

    /// <summary>Leases at least <paramref name="need"/> of the minute's limit, and up to <paramref name="chunk"/> when
    /// that much is left, so the next requests are admitted without a round trip.</summary>
    internal async Task<Lease> LeaseAsync(string accountId, LimitSubject subject, RateResource resource, long window, long need, long chunk, long limit,
        Seen? seen, CancellationToken cancellationToken)
    {
        var (partition, rowKey) = (LimitStore.Partition(accountId, "rate"), subject.RowKey + "|" + (resource == RateResource.Requests ? "requests" : "tokens"));
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (seen is null || attempt > 0)
            {
                var stored = await storage.FairUse.GetEntityIfExistsAsync<TableEntity>(partition, rowKey, cancellationToken: cancellationToken);
                seen = stored.HasValue ? new Seen(stored.Value!.GetInt64("Window") ?? 0, stored.Value!.GetInt64("Granted") ?? 0, stored.Value!.ETag) : null;
            }
            var granted = seen is not null && seen.Window == window ? seen.Granted : 0;
            var left = limit - granted;
            if (left < need)
            {
                // Leases in a minute only grow, so an old view can only overstate what is left: no need to re-read.
                return new Lease(0, granted, seen);
            }
            var take = Math.Min(left, Math.Max(need, chunk));
            var entity = new TableEntity(partition, rowKey) { ["Window"] = window, ["Granted"] = granted + take };
            try
            {
                var response = seen is null
                    ? await storage.FairUse.AddEntityAsync(entity, cancellationToken)
                    : await storage.FairUse.UpdateEntityAsync(entity, seen.ETag, TableUpdateMode.Replace, cancellationToken);
                return new Lease(take, granted + take, new Seen(window, granted + take, response.Headers.ETag ?? default));
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
            {
                // Another instance leased meanwhile: read again.
            }
        }
        return new Lease(0, limit, null);
    }
}
