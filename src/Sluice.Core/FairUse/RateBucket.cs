namespace Sluice.FairUse;

/// <summary>
/// This instance's part of one subject's rate limit for one resource: what it has leased from the shared counter in
/// the current UTC minute (<see cref="RateCounters"/>) and how much of that it has used. Requests are admitted from
/// the lease without a round trip; only when it runs out does the instance lease another share.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification =
    "The semaphore's wait handle is never asked for, so it holds nothing to dispose; buckets live as long as their account's state.")]
internal sealed class RateBucket(string accountId, LimitSubject subject, RateResource resource)
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _leasing = new(1, 1);
    private long _window = -1;
    private long _allowance;
    private long _used;
    private long _sharedGranted;
    private long _unleasedWindow = -1;
    private RateCounters.Seen? _seen;

    public RateResource Resource => resource;

    public LimitSubject Subject => subject;

    /// <summary>Takes <paramref name="cost"/> from this minute's share, leasing more when it does not cover it.
    /// <see cref="RateTake.Refused"/> when the minute's limit has less than that left; <see cref="RateTake.Unknown"/>
    /// when the shared counter cannot be reached and this instance has used its one unleased share of the minute.</summary>
    public async ValueTask<RateTake> TakeAsync(long cost, long limit, long chunk, long window, RateCounters counters, CancellationToken cancellationToken)
    {
        if (TryTakeLocal(cost, window))
        {
            return RateTake.Taken;
        }
        await _leasing.WaitAsync(cancellationToken);
        try
        {
            // Another request of this instance may have leased while this one waited.
            if (TryTakeLocal(cost, window))
            {
                return RateTake.Taken;
            }
            long need;
            RateCounters.Seen? seen;
            lock (_lock)
            {
                need = _used + cost - _allowance;
                seen = _seen;
            }
            RateCounters.Lease lease;
            try
            {
                lease = await counters.LeaseAsync(accountId, subject, resource, window, need, chunk, limit, seen, cancellationToken);
            }
            catch (Exception e) when (StorageFailure.Is(e, cancellationToken))
            {
                return TakeUnleased(cost, limit, chunk, window);
            }
            lock (_lock)
            {
                Roll(window);
                _seen = lease.Counter ?? _seen;
                if (_window != window)
                {
                    // A later minute began while the lease was out: the lease was taken in this request's minute.
                    return lease.Granted > 0 ? RateTake.Taken : RateTake.Refused;
                }
                _sharedGranted = lease.TotalGranted;
                _allowance += lease.Granted;
                if (lease.Granted == 0 || _used + cost > _allowance)
                {
                    return RateTake.Refused;
                }
                _used += cost;
                return RateTake.Taken;
            }
        }
        finally
        {
            _leasing.Release();
        }
    }

    /// <summary>
    /// The shared counter cannot be reached: the limit is known, only what other instances leased is not. This instance
    /// admits from one share it grants itself, once per minute (the share a lease would have given it, or the one request
    /// when that is larger), so with N instances the minute can overshoot the limit by at most N such shares while
    /// storage is away; past that share it cannot know, and says so.
    /// </summary>
    private RateTake TakeUnleased(long cost, long limit, long chunk, long window)
    {
        if (cost > limit)
        {
            return RateTake.Refused;
        }
        lock (_lock)
        {
            Roll(window);
            if (_window == window && _unleasedWindow != window)
            {
                _unleasedWindow = window;
                _allowance += Math.Min(limit, Math.Max(chunk, _used + cost - _allowance));
            }
            if (_window != window || _used + cost > _allowance)
            {
                return RateTake.Unknown;
            }
            _used += cost;
            return RateTake.Taken;
        }
    }

    /// <summary>Gives back what an admission took when another limit refused the request.</summary>
    public void Refund(long cost, long window)
    {
        lock (_lock)
        {
            if (_window == window)
            {
                _used = Math.Max(0, _used - cost);
            }
        }
    }

    /// <summary>Settles an estimate with the real amount: the difference counts in the minute the request ends in.
    /// More than estimated leaves this instance's share overdrawn, and its next lease covers that first.</summary>
    public void Adjust(long delta, long window)
    {
        lock (_lock)
        {
            Roll(window);
            _used = Math.Max(0, _used + delta);
        }
    }

    /// <summary>What is left of the minute's limit as far as this instance knows: the limit less the shares others
    /// hold and what this instance used.</summary>
    public long Remaining(long limit, long window)
    {
        lock (_lock)
        {
            if (_window != window)
            {
                return _seen is { } s && s.Window == window ? Math.Max(0, limit - s.Granted) : limit;
            }
            return Math.Max(0, limit - Math.Max(0, _sharedGranted - _allowance) - _used);
        }
    }

    private bool TryTakeLocal(long cost, long window)
    {
        lock (_lock)
        {
            Roll(window);
            if (_used + cost > _allowance)
            {
                return false;
            }
            _used += cost;
            return true;
        }
    }

    /// <summary>Moves to a later minute (never back: a slow request must not reset a newer one).</summary>
    private void Roll(long window)
    {
        if (window > _window)
        {
            _window = window;
            _allowance = 0;
            _used = 0;
            _sharedGranted = 0;
        }
    }
}

/// <summary>What <see cref="RateBucket.TakeAsync"/> made of a request.</summary>
internal enum RateTake
{
    Taken,
    Refused,

    /// <summary>The shared counter could not be reached and this instance's unleased share of the minute is used up.</summary>
    Unknown,
}
