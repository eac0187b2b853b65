using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>
/// What failed authentication may cost, per source address. Each failure (an unknown or malformed gateway key, a wrong
/// operator secret) spends one of <see cref="AccountOptions.FailedAuthLimit"/> failures, which come back evenly over
/// <see cref="AccountOptions.FailedAuthWindow"/>. An address with none left is answered 429 with <c>Retry-After</c>
/// before anything is looked up or compared.
/// <para>
/// A key that needs a lookup holds one of the address's failures while the lookup runs (<see cref="BeginAsync"/>) and
/// gives it back if the key is good. So an address never has more lookups of unknown keys in flight than failures
/// left, however many it sends at once; and a burst of good keys from a busy address (many clients behind one NAT)
/// waits a moment for the held failures to come back rather than being refused.
/// </para>
/// <para>
/// The address is <see cref="ClientAddress"/>'s (the trusted proxy's view behind the Functions front end); IPv6
/// addresses count per /64, the block one subscriber usually holds. Logs one line when an address starts failing and
/// one when it runs out, never one per attempt, and never the credential.
/// </para>
/// <para>
/// Partitions, their idle eviction and the lease shape are <see cref="PartitionedRateLimiter"/>'s. The budget is
/// <see cref="FailureBudget"/> rather than the library's token bucket because those read the system clock
/// (dotnet/runtime#106447) and cannot give a permit back; this one reads the injected <see cref="TimeProvider"/>.
/// </para>
/// </summary>
public sealed partial class FailedAuthThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress?> _limiter;
    private readonly AccountOptions _options;
    private readonly ILogger<FailedAuthThrottle> _logger;

    public FailedAuthThrottle(IOptions<AccountOptions> options, TimeProvider time, ILogger<FailedAuthThrottle> logger)
    {
        _options = options.Value;
        _logger = logger;
        var (limit, window) = (_options.FailedAuthLimit, _options.FailedAuthWindow);
        _limiter = PartitionedRateLimiter.Create<IPAddress?, string>(address =>
            RateLimitPartition.Get(PartitionOf(address), _ => new FailureBudget(time, limit, window)));
    }

    /// <summary>The 429 for an address that has no failures left, or null when it may try.</summary>
    public ApiError? Refusal(IPAddress? address)
    {
        using var lease = _limiter.AttemptAcquire(address, 0);
        return lease.IsAcquired ? null : TooMany(lease);
    }

    /// <summary>Records a failure known at once (a malformed key, a wrong operator secret), after <see cref="Refusal"/>
    /// let the attempt through.</summary>
    public void Failed(IPAddress? address, string what)
    {
        using var lease = _limiter.AttemptAcquire(address, 1);
        if (lease is FailureBudget.Lease held)
        {
            Spend(held, address, what);
        }
    }

    /// <summary>
    /// Starts an authentication that needs a lookup: holds one of the address's failures until the attempt
    /// <see cref="Attempt.Failed"/> (spent) or is disposed (given back: the key was good, or the lookup itself failed).
    /// Waits while failures held by other attempts of the address may still come back; null, with the 429 to answer,
    /// when none are left.
    /// </summary>
    public async ValueTask<Outcome<Attempt>> BeginAsync(IPAddress? address, CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(address, 1, cancellationToken);
        if (lease.IsAcquired && lease is FailureBudget.Lease held)
        {
            return new Attempt(this, address, held);
        }
        var refusal = TooMany(lease);
        lease.Dispose();
        return refusal;
    }

    /// <summary>One authentication in progress; see <see cref="BeginAsync"/>.</summary>
    public sealed class Attempt : IDisposable
    {
        private readonly FailedAuthThrottle _throttle;
        private readonly IPAddress? _address;
        private readonly FailureBudget.Lease _lease;

        internal Attempt(FailedAuthThrottle throttle, IPAddress? address, FailureBudget.Lease lease) =>
            (_throttle, _address, _lease) = (throttle, address, lease);

        /// <summary>The credential was wrong (<paramref name="what"/>: <c>unknown_key</c>, ...): the failure is spent.</summary>
        public void Failed(string what) => _throttle.Spend(_lease, _address, what);

        /// <summary>Gives the held failure back unless <see cref="Failed"/> spent it.</summary>
        public void Dispose() => _lease.Dispose();
    }

    public void Dispose() => _limiter.Dispose();

    private void Spend(FailureBudget.Lease lease, IPAddress? address, string what)
    {
        var (started, exhausted) = lease.Spend();
        var shown = address?.ToString() ?? "an unknown address";
        if (started)
        {
            Log.BurstStarted(_logger, shown, what, _options.FailedAuthLimit, _options.FailedAuthWindow);
        }
        if (exhausted)
        {
            Log.Throttled(_logger, shown, what, _options.FailedAuthLimit, _options.FailedAuthWindow);
        }
    }

    private static ApiError TooMany(RateLimitLease lease)
    {
        var seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        return new ApiError(429, "requests", "rate_limit_exceeded",
            $"Too many failed authentication attempts from this address. Retry after {seconds.ToString(CultureInfo.InvariantCulture)} seconds with a valid key.")
        {
            RetryAfter = TimeSpan.FromSeconds(seconds),
        };
    }

    /// <summary>The budget an address spends: its own, or its /64's for IPv6.</summary>
    internal static string PartitionOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes) + "/64";
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Failed authentication from {Address} ({What}). Further failures from it are not logged; after {Limit} within {Window} it is answered 429.")]
        public static partial void BurstStarted(ILogger logger, string address, string what, int limit, TimeSpan window);

        [LoggerMessage(2, LogLevel.Warning, "{Address} is throttled: {Limit} failed authentications ({What}) within {Window}. Its requests get 429 until its budget refills.")]
        public static partial void Throttled(ILogger logger, string address, string what, int limit, TimeSpan window);
    }
}

/// <summary>
/// One address's failures: <c>limit</c> of them, refilled evenly over <c>window</c> on the injected clock. A lease holds
/// one failure until it is spent (<see cref="Lease.Spend"/>: the attempt failed) or disposed unspent (given back).
/// <list type="bullet">
/// <item><c>AttemptAcquire(0)</c>: whether a failure is left at all (held ones included).</item>
/// <item><c>AttemptAcquire(1)</c>: hold one now if one is free, else refuse.</item>
/// <item><c>AcquireAsync(1)</c>: hold one, waiting while held ones may come back; refuse when none are left.</item>
/// </list>
/// Spending says whether it started a burst (the first failure from a full budget) and whether it exhausted the budget
/// (once per burst), for the throttle's log.
/// </summary>
internal sealed class FailureBudget(TimeProvider time, int limit, TimeSpan window) : RateLimiter
{
    private readonly Lock _lock = new();
    private readonly TimeSpan _perFailure = window / limit;
    private readonly List<TaskCompletionSource> _waiting = [];
    private double _left = limit;
    private long _countedAt = time.GetTimestamp();
    private int _held;
    private bool _exhaustionReported;

    /// <summary>How long the budget has been full and unused; null while it refills or holds failures (the partitioned
    /// limiter evicts idle budgets, so an address that stopped failing costs no memory).</summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                var idle = time.GetElapsedTime(_countedAt) - (limit - _left) * _perFailure;
                return _held == 0 && _waiting.Count == 0 && idle >= TimeSpan.Zero ? idle : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Refill();
            return new RateLimiterStatistics { CurrentAvailablePermits = (long)(_left - _held), CurrentQueuedCount = _waiting.Count };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, 1);
        lock (_lock)
        {
            Refill();
            if (permitCount == 0)
            {
                return _left >= 1 ? new Lease(this, held: false) : Refused();
            }
            return TryHold() ?? Refused();
        }
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(permitCount, 1);
        while (true)
        {
            TaskCompletionSource wake;
            lock (_lock)
            {
                Refill();
                if (TryHold() is { } lease)
                {
                    return lease;
                }
                if (_left < 1)
                {
                    return Refused();
                }
                // Every failure left is held by an attempt still running; wait for one of them to end.
                wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add(wake);
            }
            try
            {
                await wake.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                lock (_lock)
                {
                    _waiting.Remove(wake);
                }
            }
        }
    }

    private Lease? TryHold()
    {
        if (_left - _held < 1)
        {
            return null;
        }
        _held++;
        return new Lease(this, held: true);
    }

    private Lease Refused() => new(this, held: false)
    {
        Acquired = false,
        RetryAfter = (_held + 1 - _left) * _perFailure,
    };

    private void Refill()
    {
        var now = time.GetTimestamp();
        _left = Math.Min(limit, _left + time.GetElapsedTime(_countedAt, now) / _perFailure);
        _countedAt = now;
        if (_left >= limit)
        {
            _exhaustionReported = false;
        }
    }

    /// <summary>Ends a hold: spent (a failure) or given back; either may let a waiting attempt go on, or refuse it.</summary>
    private (bool Started, bool Exhausted) Release(bool spend)
    {
        List<TaskCompletionSource> wake;
        (bool, bool) marks = (false, false);
        lock (_lock)
        {
            Refill();
            _held--;
            if (spend)
            {
                var started = _left >= limit;
                _left = Math.Max(0, _left - 1);
                var exhausted = _left < 1 && !_exhaustionReported;
                _exhaustionReported |= exhausted;
                marks = (started, exhausted);
            }
            wake = [.. _waiting];
        }
        foreach (var waiter in wake)
        {
            waiter.TrySetResult();
        }
        return marks;
    }

    internal sealed class Lease(FailureBudget budget, bool held) : RateLimitLease
    {
        private int _ended;

        public bool Acquired { get; init; } = true;

        public TimeSpan? RetryAfter { get; init; }

        public override bool IsAcquired => Acquired;

        public override IEnumerable<string> MetadataNames => RetryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? RetryAfter : null;
            return metadata is not null;
        }

        /// <summary>The attempt failed: the held failure is spent. Returns whether that started a burst and whether it
        /// exhausted the budget (the latter once per burst).</summary>
        public (bool Started, bool Exhausted) Spend() =>
            held && Interlocked.Exchange(ref _ended, 1) == 0 ? budget.Release(spend: true) : (false, false);

        /// <summary>Ends the hold without spending it (the attempt succeeded), if it was not spent.</summary>
        protected override void Dispose(bool disposing)
        {
            if (held && Interlocked.Exchange(ref _ended, 1) == 0)
            {
                budget.Release(spend: false);
            }
            base.Dispose(disposing);
        }
    }
}
