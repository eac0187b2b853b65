using System.Collections.Concurrent;
using System.Threading.Channels;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sluice.Usage;

/// <summary>
/// Writes usage rows by group commit: each request hands its row over and waits until it is durable, while a
/// single loop packs whatever rows are waiting into table transactions (one partition, at most 100 entities,
/// counters included). Under load many requests share one round trip; alone, a row is written at once.
/// Nothing is dropped: a full queue makes callers wait, a failed transaction is retried, and stopping the host
/// drains the queue before it returns.
/// </summary>
public sealed partial class UsageMeter : IHostedService, IAsyncDisposable
{
    /// <summary>Azure Table transactions hold at most 100 entities, all in one partition.</summary>
    internal const int MaxEntitiesPerTransaction = 100;

    private readonly UsageTable _table;
    private readonly UsageOptions _options;
    private readonly ILogger<UsageMeter> _logger;
    private readonly Channel<Pending> _queue;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Task> _partitionTails = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Dictionary<string, (UsageCounter Counter, ETag ETag)>> _counters = new(StringComparer.Ordinal);
    private Task? _loop;

    public UsageMeter(UsageTable table, IOptions<UsageOptions> options, ILogger<UsageMeter> logger)
    {
        _table = table;
        _options = options.Value;
        _logger = logger;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _slots = new SemaphoreSlim(_options.MaxConcurrentCommits);
    }

    /// <summary>Queues a row and completes once it is committed. Never throws for a storage failure: a row that
    /// could not be written after every attempt is logged (by id, never content) and the task still completes,
    /// so metering can never turn a served completion into an error.</summary>
    public async Task RecordAsync(UsageRecord record)
    {
        var pending = new Pending(record, _table.PartitionKey(record));
        try
        {
            await _queue.Writer.WriteAsync(pending);
        }
        catch (ChannelClosedException)
        {
            // Stopping: the loop is gone, so commit this one directly rather than drop it.
            await CommitAsync(pending.PartitionKey, [pending]);
        }
        await pending.Done.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Flushes: no new rows are taken, every queued and in-flight row is committed, then it returns.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken);
        }
        await Task.WhenAll(_partitionTails.Values).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _slots.Dispose();
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var round = new List<Pending>(256);
        while (await reader.WaitToReadAsync())
        {
            // Take a commit slot before draining: while every slot is busy, rows gather in the queue and the next
            // round packs them into fewer, fuller transactions.
            await _slots.WaitAsync();
            round.Clear();
            while (round.Count < 4096 && reader.TryRead(out var item))
            {
                round.Add(item);
            }
            if (round.Count == 0)
            {
                _slots.Release();
                continue;
            }
            if (_counters.Count > 50_000)
            {
                // Counter caches are only a shortcut (a miss re-reads the row); old days' partitions are done with.
                _counters.Clear();
            }
            var commits = new List<Task>();
            foreach (var group in round.GroupBy(p => p.PartitionKey, StringComparer.Ordinal))
            {
                commits.Add(Chain(group.Key, [.. group]));
            }
            _ = Task.WhenAll(commits).ContinueWith(static (_, s) => ((SemaphoreSlim)s!).Release(), _slots, TaskScheduler.Default);
        }
    }

    /// <summary>Commits one partition's rows after any earlier commit of the same partition, so its counters are
    /// never updated by two transactions at once from this process.</summary>
    private Task Chain(string partitionKey, List<Pending> rows)
    {
        Task next;
        lock (_partitionTails)
        {
            var previous = _partitionTails.GetValueOrDefault(partitionKey) ?? Task.CompletedTask;
            next = After(previous, partitionKey, rows);
            _partitionTails[partitionKey] = next;
        }
        _ = next.ContinueWith(t =>
        {
            lock (_partitionTails)
            {
                if (_partitionTails.TryGetValue(partitionKey, out var tail) && tail == t)
                {
                    _partitionTails.TryRemove(partitionKey, out _);
                }
            }
        }, TaskScheduler.Default);
        return next;

        async Task After(Task previous, string pk, List<Pending> chunk)
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await CommitAsync(pk, chunk);
        }
    }

    private async Task CommitAsync(string partitionKey, List<Pending> rows)
    {
        var start = 0;
        while (start < rows.Count)
        {
            // Fill a transaction up to 100 entities: the rows plus one counter per distinct model among them.
            var models = new HashSet<string>(StringComparer.Ordinal);
            var end = start;
            while (end < rows.Count)
            {
                // Rows so far, this row, and the counters of the models so far plus this row's if new.
                var added = models.Contains(rows[end].Record.Model) ? 0 : 1;
                if (end - start + 1 + models.Count + added > MaxEntitiesPerTransaction)
                {
                    break;
                }
                models.Add(rows[end].Record.Model);
                end++;
            }
            await CommitTransactionAsync(partitionKey, rows.GetRange(start, end - start));
            start = end;
        }
    }

    private async Task CommitTransactionAsync(string partitionKey, List<Pending> rows)
    {
        var counters = _counters.GetOrAdd(partitionKey, static _ => new(StringComparer.Ordinal));
        var delay = _options.WriteRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var actions = new List<TableTransactionAction>(rows.Count + 4);
                foreach (var row in rows)
                {
                    actions.Add(new TableTransactionAction(TableTransactionActionType.Add, _table.ToEntity(row.Record)));
                }
                var updated = await NextCountersAsync(partitionKey, rows, counters);
                foreach (var (rowKey, counter, etag) in updated)
                {
                    var entity = counter.ToEntity(partitionKey, rowKey, etag);
                    actions.Add(etag == default
                        ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                        : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, etag));
                }

                var response = await _table.Client.SubmitTransactionAsync(actions);
                for (var i = 0; i < updated.Count; i++)
                {
                    var etag = response.Value[rows.Count + i].Headers.ETag;
                    if (etag is { } known)
                    {
                        counters[updated[i].RowKey] = (updated[i].Counter, known);
                    }
                    else
                    {
                        counters.Remove(updated[i].RowKey);
                    }
                }
                Complete(rows);
                Log.Committed(_logger, rows.Count, partitionKey);
                return;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex < rows.Count)
            {
                // A row already exists: only an earlier attempt of this very transaction can have written it, and
                // transactions are atomic, so that attempt committed everything (its reply was lost).
                counters.Clear();
                Complete(rows);
                return;
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
            {
                // Another writer moved a counter on, or the purge removed a finished day's counter that a late row
                // (a request begun before midnight) still finds cached: re-read and retry at once.
                counters.Clear();
                if (attempt >= _options.WriteAttempts * 4)
                {
                    Fail(rows, e);
                    return;
                }
            }
            catch (RequestFailedException e) when (IsTransient(e.Status) && attempt < _options.WriteAttempts)
            {
                counters.Clear();
                Log.WriteRetry(_logger, rows.Count, attempt, e.Status);
                await Task.Delay(delay);
                delay *= 2;
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException or OperationCanceledException && attempt < _options.WriteAttempts)
            {
                counters.Clear();
                Log.WriteRetry(_logger, rows.Count, attempt, 0);
                await Task.Delay(delay);
                delay *= 2;
            }
            catch (Exception e)
            {
                Fail(rows, e);
                return;
            }
        }
    }

    private async Task<List<(string RowKey, UsageCounter Counter, ETag ETag)>> NextCountersAsync(
        string partitionKey, List<Pending> rows, Dictionary<string, (UsageCounter Counter, ETag ETag)> known)
    {
        var result = new List<(string, UsageCounter, ETag)>();
        foreach (var byModel in rows.GroupBy(r => r.Record.Model, StringComparer.Ordinal))
        {
            var rowKey = UsageTable.CounterRowKey(byModel.Key);
            if (!known.TryGetValue(rowKey, out var current))
            {
                var stored = await _table.Client.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey);
                current = stored.HasValue
                    ? (UsageCounter.FromEntity(stored.Value!), stored.Value!.ETag)
                    : (UsageCounter.Empty(byModel.Key), default);
            }
            var next = current.Counter;
            foreach (var row in byModel)
            {
                next = next.Add(row.Record);
            }
            result.Add((rowKey, next, current.ETag));
        }
        return result;
    }

    private static bool IsTransient(int status) => status is 0 or 408 or 429 or >= 500;

    private static void Complete(List<Pending> rows)
    {
        foreach (var row in rows)
        {
            row.Done.TrySetResult();
        }
    }

    private void Fail(List<Pending> rows, Exception e)
    {
        foreach (var row in rows)
        {
            Log.RowLost(_logger, row.Record.RequestId.Value, row.Record.AccountId, e.GetType().Name);
            row.Done.TrySetResult();
        }
    }

    private sealed record Pending(UsageRecord Record, string PartitionKey)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Committed {Count} usage rows to partition {PartitionKey}.")]
        public static partial void Committed(ILogger logger, int count, string partitionKey);

        [LoggerMessage(2, LogLevel.Warning, "Usage write of {Count} rows failed (attempt {Attempt}, status {Status}); retrying.")]
        public static partial void WriteRetry(ILogger logger, int count, int attempt, int status);

        [LoggerMessage(3, LogLevel.Error, "Usage row {RequestId} of account {AccountId} could not be written ({Error}).")]
        public static partial void RowLost(ILogger logger, string requestId, string accountId, string error);
    }
}
