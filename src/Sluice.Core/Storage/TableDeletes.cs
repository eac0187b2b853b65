using Azure;
using Azure.Data.Tables;

namespace Sluice.Storage;

/// <summary>
/// Deletes the entities a filter selects, in same-partition transactions of at most one batch, within a purge
/// run's budget. Safe to repeat and to race: an entity already gone (another run, a retry) is skipped, not an error.
/// The filter should select by key ranges, so finding what to delete never scans a table.
/// </summary>
public static class TableDeletes
{
    private static readonly string[] s_keysOnly = ["PartitionKey", "RowKey"];

    public static async Task<long> DeleteWhereAsync(TableClient table, string filter, PurgeRun run, string what, CancellationToken cancellationToken)
    {
        long deleted = 0;
        while (!run.BudgetExhausted)
        {
            var size = run.NextBatchSize;
            var page = new List<TableEntity>(size);
            await foreach (var e in table.QueryAsync<TableEntity>(filter, maxPerPage: size, select: s_keysOnly, cancellationToken: cancellationToken))
            {
                page.Add(e);
                if (page.Count == size)
                {
                    break;
                }
            }
            if (page.Count == 0)
            {
                break;
            }
            foreach (var partition in page.GroupBy(e => e.PartitionKey, StringComparer.Ordinal))
            {
                var n = await DeleteBatchAsync(table, [.. partition], cancellationToken);
                deleted += n;
                run.CountDeleted(what, n);
            }
            if (page.Count < size)
            {
                break;
            }
        }
        return deleted;
    }

    private static async Task<int> DeleteBatchAsync(TableClient table, List<TableEntity> entities, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitTransactionAsync(
                entities.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All)), cancellationToken);
            return entities.Count;
        }
        catch (TableTransactionFailedException e) when (e.Status == 404)
        {
            // One of them was deleted meanwhile, which fails the whole transaction: delete one by one instead.
            var n = 0;
            foreach (var entity in entities)
            {
                var response = await table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, ETag.All, cancellationToken);
                n += response.Status == 404 ? 0 : 1;
            }
            return n;
        }
    }
}
