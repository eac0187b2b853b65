using Azure.Storage.Blobs;
using Sluice.Retention;

namespace Sluice.Storage;

/// <summary>
/// Deletes the blobs a find-by-tags query selects, page by page in one pass over the query, within a purge run's
/// budget. The tag index finds exactly what is due (no listing of the container). Safe to repeat and to race: a
/// blob already gone is skipped, and the index may still list it for a moment after its deletion.
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
        await foreach (var page in container.FindBlobsByTagsAsync(query, cancellationToken).AsPages(pageSizeHint: run.BatchSize))
        {
            var due = page.Values.Select(v => v.BlobName).Where(name => keep is null || !keep(name)).ToList();
            var allowed = run.NextBatchSize;
            var batch = due.Count <= allowed ? due : due.GetRange(0, allowed);
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
            deleted += deletedNow;
            run.CountDeleted(what, deletedNow);
            if (batch.Count < due.Count)
            {
                return (deleted, false);
            }
        }
        return (deleted, true);
    }
}
