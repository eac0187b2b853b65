using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Storage;
using Sluice.Wire;

namespace Sluice.Usage;

/// <summary>
/// Writes usage rows by group commit. Each partition (account, day, shard) has its own queue and commits one table
/// transaction at a time; rows that arrive while a partition's transaction is in flight wait and go together in the
/// next one (at most 100 entities, counters included). Alone, a row is written at once; under load many rows share
/// one round trip. A host that does not wait for commits can also let an idle partition's first row wait
/// <see cref="UsageOptions.GatherDelay"/> for company, so a steady trickle of requests does not cost a storage round
/// trip each. Nothing is dropped: a full meter makes callers wait, a failed transaction is retried, and stopping the
/// host waits until every queued row is committed. One row storage refuses never takes others with it: it is taken out
/// of its transaction, the rest commit, and it is written once more in a fallback form (<see cref="UsageTable.Fallback"/>).
/// </summary>
/// <remarks>
/// One transaction per partition at a time also means this process never updates a partition's counters from two
/// transactions at once; another instance that does is caught by the counters' ETags.
/// </remarks>
public sealed partial class UsageMeter : IHostedService, IAsyncDisposable
{
    /// <summary>Azure Table transactions hold at most 100 entities, all in one partition.</summary>
    internal const int MaxEntitiesPerTransaction = TableLimits.MaxTransactionActions;

    /// <summary>The request body of one transaction: Azure's 4 MiB less room for the batch's own envelope.</summary>
    private const long MaxTransactionBytes = TableLimits.MaxTransactionBytes - 64 * 1024;

    /// <summary>Idle partition queues (and their cached counters) are dropped past this many; a miss re-reads.</summary>
    private const int MaxIdlePartitions = 50_000;

    private readonly UsageTable _table;
    private readonly UsageOptions _options;
    private readonly ILogger<UsageMeter> _logger;
    private readonly SemaphoreSlim _room;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private int _queued;
    private int _disposed;
    private volatile bool _stopping;

    public UsageMeter(UsageTable table, IOptions<UsageOptions> options, ILogger<UsageMeter> logger)
    {
        _table = table;
        _options = options.Value;
        _logger = logger;
        _room = new SemaphoreSlim(_options.QueueCapacity);
        _slots = new SemaphoreSlim(_options.MaxConcurrentCommits);
    }

    /// <summary>Sees every transaction just before it is submitted (tests check its shape).</summary>
    internal Action<string, IReadOnlyList<TableTransactionAction>>? TransactionObserver { get; set; }

    /// <summary>Rows queued or being committed.</summary>
    internal int Queued => Volatile.Read(ref _queued);

    /// <summary>
    /// Queues a row. Completes once it is committed when <see cref="UsageOptions.WaitForCommit"/> is set (and always
    /// while the host stops), otherwise once it is queued. Never throws for a storage failure: a row that could not be
    /// written after every attempt is logged (by id, never content), so metering cannot turn a served completion into
    /// an error.
    /// </summary>
    public async Task RecordAsync(UsageRecord record)
    {
        Interlocked.Increment(ref _queued);
        UsageMetrics.Queued.Add(1);
        var room = _room.WaitAsync();
        if (!room.IsCompleted)
        {
            UsageMetrics.QueueWaits.Add(1);
        }
        await room;
        var pending = new Pending(UsageTable.Storable(record), _table);
        var partitionKey = _table.PartitionKey(record);
        while (true)
        {
            var partition = _partitions.GetOrAdd(partitionKey, static pk => new Partition(pk));
            bool start;
            lock (partition)
            {
                if (partition.Evicted)
                {
                    continue;
                }
                partition.Waiting.Add(pending);
                start = !partition.Busy;
                partition.Busy = true;
            }
            if (start)
            {
                _ = DrainAsync(partition);
            }
            break;
        }
        if (_options.WaitForCommit || _stopping)
        {
            await pending.Done.Task;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Flushes: returns once every queued and in-flight row is committed (or reported lost).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // From here on every caller waits for its own row, so a request still running holds the host open until
        // its row is durable. Polling keeps the hot path free of any shutdown bookkeeping.
        _stopping = true;
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }
        while (Queued > 0)
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes what the host already stopped, and may do so more than once.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await StopAsync(CancellationToken.None);
        _room.Dispose();
        _slots.Dispose();
        _stop.Dispose();
    }

    /// <summary>Commits a partition's waiting rows, one transaction at a time, until none are left.</summary>
    private async Task DrainAsync(Partition partition)
    {
        // Off the request's thread: building and sending the transaction is not the caller's work.
        await Task.Yield();
        if (_options.GatherDelay > TimeSpan.Zero)
        {
            // Cut short when the host stops: then nothing waits for company.
            await Task.Delay(_options.GatherDelay, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        while (true)
        {
            // While every slot is busy, rows gather here and the next transaction carries more of them.
            await _slots.WaitAsync();
            List<Pending>? batch = null;
            try
            {
                lock (partition)
                {
                    if (partition.Waiting.Count == 0)
                    {
                        partition.Busy = false;
                        return;
                    }
                    batch = partition.TakeBatch();
                }
                var refused = await CommitTransactionAsync(partition, batch);
                if (refused.Count > 0)
                {
                    await CommitFallbacksAsync(partition, refused);
                }
            }
            catch (Exception e)
            {
                // CommitTransactionAsync handles storage failures itself; this is a bug, but never a hung request.
                Fail(batch ?? [], e.GetType().Name);
            }
            finally
            {
                _slots.Release();
                if (batch is not null)
                {
                    _room.Release(batch.Count);
                    Interlocked.Add(ref _queued, -batch.Count);
                    UsageMetrics.Queued.Add(-batch.Count);
                }
                EvictIdlePartitions();
            }
        }
    }

    private void EvictIdlePartitions()
    {
        if (_partitions.Count <= MaxIdlePartitions)
        {
            return;
        }
        foreach (var (key, partition) in _partitions)
        {
            lock (partition)
            {
                if (!partition.Busy && partition.Waiting.Count == 0)
                {
                    partition.Evicted = true;
                    _partitions.TryRemove(key, out _);
                }
            }
        }
    }

    /// <summary>
    /// Commits <paramref name="rows"/> and their counters in one transaction, retrying conflicts and transient
    /// failures. Returns the rows storage refused, left uncompleted: a row whose entity Azure would refuse (checked
    /// here first, since Azurite lets some through), a row (or the rows of a counter) at the failed action of a
    /// refused transaction, or, when storage names no action, the row found by splitting the transaction in halves.
    /// The other rows are committed without them.
    /// </summary>
    private async Task<List<Pending>> CommitTransactionAsync(Partition partition, List<Pending> rows)
    {
        var refused = new List<Pending>();
        var sendable = new List<Pending>(rows.Count);
        foreach (var row in rows)
        {
            if (TableLimits.Violation(row.Entity) is { } violation)
            {
                Log.RowRefusedHere(_logger, row.Record.RequestId.Value, violation);
                refused.Add(row);
            }
            else
            {
                sendable.Add(row);
            }
        }
        rows = sendable;
        var partitionKey = partition.Key;
        var counters = partition.Counters;
        var delay = _options.WriteRetryDelay;
        var conflicts = 0;
        var attempt = 1;
        while (rows.Count > 0)
        {
            List<(string RowKey, UsageCounter Counter, ETag ETag)> updated = [];
            try
            {
                var actions = new List<TableTransactionAction>(rows.Count + 2);
                foreach (var row in rows)
                {
                    actions.Add(new TableTransactionAction(TableTransactionActionType.Add, row.Entity));
                }
                updated = await NextCountersAsync(partitionKey, rows, counters);
                foreach (var (rowKey, counter, etag) in updated)
                {
                    var entity = counter.ToEntity(partitionKey, rowKey, etag);
                    actions.Add(etag == default
                        ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                        : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, etag));
                }
                EnsureTransaction(partitionKey, actions);
                TransactionObserver?.Invoke(partitionKey, actions);

                var replies = (await _table.Transactions.SubmitTransactionAsync(actions)).Value;
                for (var i = 0; i < updated.Count; i++)
                {
                    if (replies[rows.Count + i].Headers.ETag is { } etag)
                    {
                        counters[updated[i].RowKey] = (updated[i].Counter, etag);
                    }
                    else
                    {
                        counters.Remove(updated[i].RowKey);
                    }
                }
                Complete(rows);
                Log.Committed(_logger, rows.Count, partitionKey);
                return refused;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex < rows.Count)
            {
                // A row already exists: only an earlier attempt of this very transaction can have written it, and
                // transactions are atomic, so that attempt committed everything (its reply was lost).
                counters.Clear();
                Complete(rows);
                return refused;
            }
            catch (TableTransactionFailedException e) when (e.FailedTransactionActionIndex is not null && e.Status is 404 or 409 or 412)
            {
                // Another writer moved a counter on, or the purge removed a finished day's counter that a late row
                // (a request begun before midnight) still finds cached: re-read and retry at once.
                counters.Clear();
                if (++conflicts >= _options.WriteAttempts * 4)
                {
                    Fail(rows, e.GetType().Name);
                    return refused;
                }
            }
            catch (TableTransactionFailedException e) when (IsRefusal(e.Status)
                && e.FailedTransactionActionIndex is { } index && index < rows.Count + updated.Count)
            {
                // Storage refused one action, so nothing was written: take out what that action stands for (its row,
                // or every row of its counter's model) and commit the rest now. Each pass removes a row: no loop.
                var taken = index < rows.Count
                    ? [rows[index]]
                    : rows.Where(r => string.Equals(r.Record.Model, updated[index - rows.Count].Counter.Model, StringComparison.Ordinal)).ToList();
                foreach (var row in taken)
                {
                    Log.RowRefused(_logger, row.Record.RequestId.Value, e.Status, e.ErrorCode);
                }
                refused.AddRange(taken);
                rows = [.. rows.Except(taken)];
            }
            catch (RequestFailedException e) when (IsRefusal(e.Status))
            {
                // Refused whole, with no action named (or none of ours): one row alone is the one; otherwise each half
                // is committed on its own, so the refused row is found in at most log2(100) splits and every other row
                // still commits.
                if (rows.Count == 1)
                {
                    Log.RowRefused(_logger, rows[0].Record.RequestId.Value, e.Status, e.ErrorCode);
                    refused.Add(rows[0]);
                    return refused;
                }
                var half = rows.Count / 2;
                refused.AddRange(await CommitTransactionAsync(partition, rows[..half]));
                refused.AddRange(await CommitTransactionAsync(partition, rows[half..]));
                return refused;
            }
            catch (Exception e) when (TransientStatus(e) is { } status && attempt < _options.WriteAttempts)
            {
                counters.Clear();
                Log.WriteRetry(_logger, rows.Count, attempt, status);
                await Task.Delay(delay);
                delay *= 2;
                attempt++;
            }
            catch (Exception e)
            {
                Fail(rows, e.GetType().Name);
                return refused;
            }
        }
        return refused;
    }

    /// <summary>Writes each row storage refused once more, in its fallback form, so the request is still billed. A
    /// row refused even so is reported lost; nothing is tried a third time.</summary>
    private async Task CommitFallbacksAsync(Partition partition, List<Pending> refused)
    {
        foreach (var row in refused)
        {
            row.Fallback(_table);
        }
        Fail(await CommitTransactionAsync(partition, refused), "RefusedInFallbackForm");
    }

    /// <summary>A status by which storage refuses what it was sent (as opposed to a conflict or a passing failure).</summary>
    private static bool IsRefusal(int status) => status is 400 or 413;

    /// <summary>Azure rejects a transaction that spans partitions, holds more than 100 entities or is over 4 MiB;
    /// Azurite accepts some of those, so the rules are checked here, where a bug would otherwise pass every local test.</summary>
    private static void EnsureTransaction(string partitionKey, List<TableTransactionAction> actions)
    {
        var violation = TableLimits.TransactionViolation(actions)
            ?? (string.Equals(actions[0].Entity.PartitionKey, partitionKey, StringComparison.Ordinal) ? null : "another partition than its queue's");
        if (violation is not null)
        {
            throw new InvalidOperationException($"A usage transaction Azure would refuse: {violation}.");
        }
    }

    /// <summary>The counters after this transaction, one per distinct model among the rows (usually one).</summary>
    private async Task<List<(string RowKey, UsageCounter Counter, ETag ETag)>> NextCountersAsync(
        string partitionKey, List<Pending> rows, Dictionary<string, (UsageCounter Counter, ETag ETag)> known)
    {
        var result = new List<(string RowKey, UsageCounter Counter, ETag ETag)>(2);
        foreach (var row in rows)
        {
            var model = row.Record.Model;
            var index = result.Count - 1;
            while (index >= 0 && !string.Equals(result[index].Counter.Model, model, StringComparison.Ordinal))
            {
                index--;
            }
            if (index < 0)
            {
                var rowKey = UsageTable.CounterRowKey(model);
                if (!known.TryGetValue(rowKey, out var current))
                {
                    var stored = await _table.Client.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey);
                    current = stored.HasValue
                        ? (UsageCounter.FromEntity(stored.Value!), stored.Value!.ETag)
                        : (UsageCounter.Empty(model), default);
                }
                result.Add((rowKey, current.Counter, current.ETag));
                index = result.Count - 1;
            }
            var (key, counter, etag) = result[index];
            result[index] = (key, counter.Add(row.Record), etag);
        }
        return result;
    }

    /// <summary>The status to log for a failure worth retrying (0 when no reply came back), or null for one that is not.</summary>
    private static int? TransientStatus(Exception e) => e switch
    {
        RequestFailedException r when r.Status is 0 or 408 or 429 or >= 500 => r.Status,
        HttpRequestException or TimeoutException or OperationCanceledException => 0,
        _ => null,
    };

    private static void Complete(List<Pending> rows)
    {
        UsageMetrics.Committed.Add(rows.Count);
        foreach (var row in rows)
        {
            row.Done.TrySetResult();
        }
    }

    private void Fail(List<Pending> rows, string error)
    {
        foreach (var row in rows)
        {
            Log.RowLost(_logger, row.Record.RequestId.Value, row.Record.AccountId, error);
            row.Done.TrySetResult();
        }
    }

    /// <summary>A queued row: its record, its entity (built once, reused by every attempt) and a bound on the bytes it
    /// adds to a transaction.</summary>
    private sealed class Pending
    {
        public Pending(UsageRecord record, UsageTable table)
        {
            Record = record;
            Entity = table.ToEntity(record);
            Bytes = TableLimits.ActionBytes(new TableTransactionAction(TableTransactionActionType.Add, Entity));
        }

        public UsageRecord Record { get; private set; }
        public TableEntity Entity { get; private set; }
        public long Bytes { get; }
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Turns the row into its fallback form (after storage refused it).</summary>
        public void Fallback(UsageTable table)
        {
            Record = UsageTable.Fallback(Record);
            Entity = table.ToEntity(Record);
        }
    }

    /// <summary>One partition's queue. Guarded by its own lock; <see cref="Counters"/> only by being drained by one
    /// task at a time (<see cref="Busy"/>).</summary>
    private sealed class Partition(string key)
    {
        public string Key { get; } = key;
        public List<Pending> Waiting { get; private set; } = [];
        public bool Busy { get; set; }
        public bool Evicted { get; set; }
        public Dictionary<string, (UsageCounter Counter, ETag ETag)> Counters { get; } = new(StringComparer.Ordinal);

        /// <summary>Takes the oldest rows that fit in one transaction with a counter per distinct model among them: at
        /// most 100 entities, and a request under 4 MiB however long the rows' texts.</summary>
        public List<Pending> TakeBatch()
        {
            var models = new List<string>(2);
            var count = 0;
            long bytes = 0;
            foreach (var row in Waiting)
            {
                var isNew = !models.Contains(row.Record.Model);
                var rowBytes = row.Bytes + (isNew ? CounterBytes(row.Record.Model) : 0);
                if (count > 0 && (count + 1 + models.Count + (isNew ? 1 : 0) > MaxEntitiesPerTransaction
                    || bytes + rowBytes > MaxTransactionBytes))
                {
                    break;
                }
                if (isNew)
                {
                    models.Add(row.Record.Model);
                }
                count++;
                bytes += rowBytes;
            }
            if (count == Waiting.Count)
            {
                var all = Waiting;
                Waiting = [];
                return all;
            }
            var batch = Waiting.GetRange(0, count);
            Waiting.RemoveRange(0, count);
            return batch;
        }

        /// <summary>A bound on what a model's counter adds to a transaction (an update names its keys in the URL).</summary>
        private long CounterBytes(string model) => TableLimits.ActionBytes(new TableTransactionAction(TableTransactionActionType.UpdateReplace,
            UsageCounter.Empty(model).ToEntity(Key, UsageTable.CounterRowKey(model), ETag.All), ETag.All)) + UsageCounter.EndpointsBytesBound;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Committed {Count} usage rows to partition {PartitionKey}.")]
        public static partial void Committed(ILogger logger, int count, string partitionKey);

        [LoggerMessage(2, LogLevel.Warning, "Usage write of {Count} rows failed (attempt {Attempt}, status {Status}); retrying.")]
        public static partial void WriteRetry(ILogger logger, int count, int attempt, int status);

        [LoggerMessage(3, LogLevel.Error, "Usage row {RequestId} of account {AccountId} could not be written ({Error}).")]
        public static partial void RowLost(ILogger logger, string requestId, string accountId, string error);

        [LoggerMessage(4, LogLevel.Warning, "Storage refused usage row {RequestId} ({Status}, {ErrorCode}); the rows beside it are committed without it, and it is written again in its fallback form.")]
        public static partial void RowRefused(ILogger logger, string requestId, int status, string? errorCode);

        [LoggerMessage(5, LogLevel.Warning, "Usage row {RequestId} would be refused by storage ({Violation}); it is written in its fallback form.")]
        public static partial void RowRefusedHere(ILogger logger, string requestId, string violation);
    }
}
