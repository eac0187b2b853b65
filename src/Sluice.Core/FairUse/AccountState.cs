using System.Collections.Concurrent;

namespace Sluice.FairUse;

/// <summary>What this instance knows of one account's fair use: its limits, the spend of others (as of the last
/// refresh) and its own (live), its rate buckets, and which threshold notes it has made.</summary>
internal sealed class AccountState(string accountId)
{
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<(LimitSubject, RateResource), RateBucket> _buckets = new();
    private Dictionary<LimitSubject, Limits> _own = [];
    private readonly Dictionary<LimitSubject, SpendTotals> _others = [];
    private readonly Dictionary<LimitSubject, SpendTotals> _mine = [];
    private readonly HashSet<LimitSubject> _dirty = [];
    private readonly HashSet<string> _noted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _creators = new(StringComparer.Ordinal);

    public string AccountId => accountId;

    /// <summary>The first load of limits and spend; requests wait for it once.</summary>
    public Task? Loaded { get; set; }

    public DateTimeOffset LastSeen { get; set; }

    public Limits? OwnLimits(LimitSubject subject)
    {
        lock (_lock)
        {
            return _own.GetValueOrDefault(subject);
        }
    }

    public void ReplaceOwnLimits(Dictionary<LimitSubject, Limits> own)
    {
        lock (_lock)
        {
            _own = own;
        }
    }

    public void SetOwnLimits(LimitSubject subject, Limits limits)
    {
        lock (_lock)
        {
            _own = new Dictionary<LimitSubject, Limits>(_own) { [subject] = limits };
        }
    }

    /// <summary>Remembers the member who created a key (it never changes), so the key's usage rows count against that
    /// member's spend as well.</summary>
    public void RememberCreator(string keyId, string memberId) => _creators.TryAdd(keyId, memberId);

    public string? CreatorOf(string keyId) => _creators.GetValueOrDefault(keyId);

    public RateBucket Bucket(LimitSubject subject, RateResource resource) =>
        _buckets.GetOrAdd((subject, resource), static (k, id) => new RateBucket(id, k.Item1, k.Item2), accountId);

    /// <summary>Everyone's spend: the others' as last read, plus this instance's own, now.</summary>
    public SpendTotals Spend(LimitSubject subject, DateTimeOffset now)
    {
        lock (_lock)
        {
            var mine = _mine.GetValueOrDefault(subject).At(now);
            var others = _others.GetValueOrDefault(subject).At(now);
            return mine with { DayNanoUsd = mine.DayNanoUsd + others.DayNanoUsd, MonthNanoUsd = mine.MonthNanoUsd + others.MonthNanoUsd };
        }
    }

    public SpendTotals OwnSpend(LimitSubject subject, DateTimeOffset now)
    {
        lock (_lock)
        {
            return _mine.GetValueOrDefault(subject).At(now);
        }
    }

    public void AddSpend(LimitSubject subject, DateTimeOffset now, long nanoUsd)
    {
        lock (_lock)
        {
            _mine[subject] = _mine.GetValueOrDefault(subject).Add(now, nanoUsd);
            if (subject.Kind != LimitSubjectKind.Account)
            {
                _dirty.Add(subject);
            }
        }
    }

    public void SetOthersSpend(LimitSubject subject, SpendTotals totals)
    {
        lock (_lock)
        {
            _others[subject] = totals;
        }
    }

    /// <summary>Replaces the others' spend of every subject but the account (which comes from the rollups).</summary>
    public void ReplaceOthersSpend(Dictionary<LimitSubject, SpendTotals> others)
    {
        lock (_lock)
        {
            foreach (var subject in _others.Keys.Where(s => s.Kind != LimitSubjectKind.Account).ToList())
            {
                _others.Remove(subject);
            }
            foreach (var (subject, totals) in others)
            {
                _others[subject] = totals;
            }
        }
    }

    /// <summary>This instance's spend of each subject changed since the last flush, to write to the ledger.</summary>
    public List<(LimitSubject Subject, SpendTotals Totals)> TakeDirtySpend()
    {
        lock (_lock)
        {
            var result = _dirty.Select(s => (s, _mine[s])).ToList();
            _dirty.Clear();
            return result;
        }
    }

    public void MarkDirty(LimitSubject subject)
    {
        lock (_lock)
        {
            _dirty.Add(subject);
        }
    }

    /// <summary>True the first time this instance sees the subject's budget past the threshold in a period.</summary>
    public bool ShouldNote(LimitSubject subject, string period, string periodKey)
    {
        lock (_lock)
        {
            return _noted.Add($"{subject.RowKey}|{period}|{periodKey}");
        }
    }

    public void Unnote(LimitSubject subject, string period, string periodKey)
    {
        lock (_lock)
        {
            _noted.Remove($"{subject.RowKey}|{period}|{periodKey}");
        }
    }
}
