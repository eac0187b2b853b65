using Azure.Storage.Blobs;

namespace Sluice.Storage;

/// <summary>
/// Deletes the blobs a find-by-tags query selects, one batch at a time within a purge run's budget. The tag index
/// finds exactly what is due (no listing of the container). Each batch asks the query afresh rather than following a
/// continuation: paging on while deleting can skip entries (Azurite's paging does). Safe to repeat and to race: a
/// blob already gone is skipped, and one the index still lists after its deletion is not tried twice.
/// </summary>
public static class TaggedBlobDeletes
{
    private const int Parallelism = 8;

    /// <summary>Deletes what <paramref name="query"/> finds in <paramref name="container"/>, counting each as
    /// <paramref name="what"/> in <paramref name="run"/>. <paramref name="keep"/> names blobs to leave alone (an account
    /// under legal hold); <paramref name="afterDelete"/> runs after each blob this call deleted (clear the row's
    /// reference). Returns the blobs deleted, and whether the query was worked through (false: the budget ran out).
    /// <paramref name="cancellationToken"/> stops between blobs.</summary>
    public static async Task<(long Deleted, bool Complete)> DeleteAsync(BlobContainerClient container, string query, PurgeRun run,
        string what, Func<string, bool>? keep, Func<string, CancellationToken, Task>? afterDelete, CancellationToken cancellationToken)
    {
        long deleted = 0;
        var tried = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var allowed = run.NextBatchSize;
            var batch = new List<string>(Math.Max(allowed, 1));
            await foreach (var item in container.FindBlobsByTagsAsync(query, cancellationToken))
            {
                if (!tried.Contains(item.BlobName) && (keep is null || !keep(item.BlobName)))
                {
                    batch.Add(item.BlobName);
                    if (batch.Count > allowed)
                    {
                        break;
                    }
                }
            }
            if (batch.Count == 0)
            {
                return (deleted, true);
            }
            if (allowed == 0)
            {
                return (deleted, false);
            }
            var more = batch.Count > allowed;
            if (more)
            {
                batch.RemoveAt(batch.Count - 1);
            }
            var deletedNow = 0;
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (name, ct) =>
                {
                    var response = await container.DeleteBlobIfExistsAsync(name, cancellationToken: ct);
                    if (response.Value)
                    {
                        Interlocked.Increment(ref deletedNow);
                        if (afterDelete is not null)
                        {
                            await afterDelete(name, ct);
                        }
                    }
                });
            tried.UnionWith(batch);
            deleted += deletedNow;
            run.CountDeleted(what, deletedNow);
            if (!more)
            {
                return (deleted, true);
            }
        }
    }
}
