using System.Collections.Concurrent;

namespace Sluice.Storage;

/// <summary>
/// The state of one purge run: the instant it runs at (read once from the clock, so every rule agrees on "today"),
/// its deletion budget, and what it did. Rules count what they delete and note what they skipped and why.
/// </summary>
public sealed class PurgeRun(string id, DateTimeOffset now, int maxDeletes, int batchSize)
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _notes = new();
    private long _deleted;

    public string Id { get; } = id;

    /// <summary>The run's instant. Data of UTC day D with a period of N days is purged by a run whose
    /// <see cref="Today"/> is D+N or later.</summary>
    public DateTimeOffset Now { get; } = now;

    public DateOnly Today { get; } = DateOnly.FromDateTime(now.UtcDateTime);

    /// <summary>Entities or blobs per storage batch.</summary>
    public int BatchSize { get; } = batchSize;

    public long Deleted => Interlocked.Read(ref _deleted);

    /// <summary>True once the budget is spent: rules stop, the run is recorded as incomplete, the next run resumes.</summary>
    public bool BudgetExhausted => Deleted >= maxDeletes;

    /// <summary>How many deletions the budget still allows, capped at one batch.</summary>
    public int NextBatchSize => (int)Math.Clamp(maxDeletes - Deleted, 0, BatchSize);

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public IReadOnlyCollection<string> Notes => _notes;

    /// <summary>Records <paramref name="count"/> deletions of <paramref name="what"/> against the budget.</summary>
    public void CountDeleted(string what, long count)
    {
        if (count <= 0)
        {
            return;
        }
        _counts.AddOrUpdate(what, count, (_, c) => c + count);
        Interlocked.Add(ref _deleted, count);
    }

    /// <summary>Records a change that is not a deletion (e.g. an account moved to expired).</summary>
    public void Changed(string what, long count = 1) => _counts.AddOrUpdate(what, count, (_, c) => c + count);

    /// <summary>A line for the run record, e.g. why an account was skipped. Identifiers only, never content.</summary>
    public void Note(string note) => _notes.Enqueue(note);
}
