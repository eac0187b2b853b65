using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Proxy;

namespace Sluice.Accounts;

/// <summary>
/// What failed authentication may cost, per source address. Each failure (an unknown or malformed gateway key, a wrong
/// operator secret) spends one of <see cref="AccountOptions.FailedAuthLimit"/> tokens, which come back evenly over
/// <see cref="AccountOptions.FailedAuthWindow"/>. An address with none left is answered 429 with <c>Retry-After</c>
/// before anything is looked up, so a flood of guesses costs no storage and cannot hide among real traffic.
/// <para>
/// The address is <see cref="ClientAddress"/>'s (the trusted proxy's view behind the Functions front end); IPv6
/// addresses count per /64, the block one subscriber usually holds. Logs one line when an address starts failing and
/// one when it runs out, never one per attempt, and never the credential.
/// </para>
/// <para>
/// Partitions, their idle eviction and the lease shape are <see cref="PartitionedRateLimiter"/>'s. The bucket is
/// <see cref="FailureBudget"/> rather than the library's token bucket only because those read the system clock
/// (dotnet/runtime#106447); this one reads the injected <see cref="TimeProvider"/>.
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

    /// <summary>
    /// Starts an authentication whose outcome is not known yet, spending one failure of the address up front so that no
    /// more lookups can be in flight than the address has failures left (a burst of concurrent guesses gets 429, not a
    /// lookup each). The attempt gives the failure back when it <see cref="Attempt.Succeeded"/>. Null, with the 429 to
    /// answer, when the address has none left.
    /// </summary>
    public (Attempt? Attempt, ApiError? Refusal) Begin(IPAddress? address)
    {
        var lease = _limiter.AttemptAcquire(address, 1);
        if (lease.IsAcquired)
        {
            return (new Attempt(this, address, lease), null);
        }
        var refusal = TooMany(lease);
        lease.Dispose();
        return (null, refusal);
    }

    /// <summary>One authentication in progress; see <see cref="Begin"/>.</summary>
    public sealed class Attempt(FailedAuthThrottle throttle, IPAddress? address, RateLimitLease lease)
    {
        /// <summary>The credential was good: the failure spent on it goes back.</summary>
        public void Succeeded()
        {
            (lease as FailureBudget.Lease)?.Refund();
            lease.Dispose();
        }

        /// <summary>The credential was wrong (<paramref name="what"/>: <c>unknown_key</c>, <c>malformed_key</c>,
        /// <c>operator_secret</c>): the failure stays spent, and the first of a burst and the one that exhausts the
        /// budget are logged.</summary>
        public void Failed(string what)
        {
            var options = throttle._options;
            var shown = address?.ToString() ?? "an unknown address";
            if (lease.TryGetMetadata(FailureBudget.BurstStarted, out var started) && started)
            {
                Log.BurstStarted(throttle._logger, shown, what, options.FailedAuthLimit, options.FailedAuthWindow);
            }
            if (lease.TryGetMetadata(FailureBudget.Exhausted, out var exhausted) && exhausted)
            {
                Log.Throttled(throttle._logger, shown, what, options.FailedAuthLimit, options.FailedAuthWindow);
            }
            lease.Dispose();
        }
    }

    public void Dispose() => _limiter.Dispose();

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
/// One address's budget of failed authentications: a token bucket of <c>limit</c> tokens refilled evenly over
/// <c>window</c>, on the injected clock. Acquiring 0 permits asks whether any is left. Its leases say when a burst
/// started (the first failure from a full bucket) and when it ran out (once per burst), for the throttle's log.
/// </summary>
internal sealed class FailureBudget(TimeProvider time, int limit, TimeSpan window) : RateLimiter
{
    public static readonly MetadataName<bool> BurstStarted = new("SLUICE_FAILED_AUTH_BURST_STARTED");
    public static readonly MetadataName<bool> Exhausted = new("SLUICE_FAILED_AUTH_EXHAUSTED");

    private readonly Lock _lock = new();
    private readonly TimeSpan _perToken = window / limit;
    private double _tokens = limit;
    private long _countedAt = time.GetTimestamp();
    private bool _exhaustionReported;

    /// <summary>How long the bucket has been full; null while it is refilling (the partitioned limiter evicts idle
    /// budgets, so an address that stopped failing costs no memory).</summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                var idle = time.GetElapsedTime(_countedAt) - (limit - _tokens) * _perToken;
                return idle >= TimeSpan.Zero ? idle : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Refill();
            return new RateLimiterStatistics { CurrentAvailablePermits = (long)_tokens };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_lock)
        {
            Refill();
            if (_tokens < Math.Max(permitCount, 1))
            {
                return new Lease(this, false, (Math.Max(permitCount, 1) - _tokens) * _perToken, started: false, exhausted: false);
            }
            if (permitCount == 0)
            {
                return new Lease(this, true, null, started: false, exhausted: false);
            }
            var started = _tokens >= limit;
            _tokens -= permitCount;
            var exhausted = _tokens < 1 && !_exhaustionReported;
            _exhaustionReported |= exhausted;
            return new Lease(this, true, null, started, exhausted) { Permits = permitCount };
        }
    }

    /// <summary>Gives back what <paramref name="lease"/> took, as if it had never been taken.</summary>
    private void Refund(Lease lease)
    {
        lock (_lock)
        {
            Refill();
            _tokens = Math.Min(limit, _tokens + lease.Permits);
            _exhaustionReported &= !lease.MarkedExhausted;
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private void Refill()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(limit, _tokens + time.GetElapsedTime(_countedAt, now) / _perToken);
        _countedAt = now;
        if (_tokens >= limit)
        {
            _exhaustionReported = false;
        }
    }

    internal sealed class Lease(FailureBudget budget, bool acquired, TimeSpan? retryAfter, bool started, bool exhausted) : RateLimitLease
    {
        private int _refunded;

        public int Permits { get; init; }

        public bool MarkedExhausted => exhausted;

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames =>
            retryAfter is null ? [BurstStarted.Name, Exhausted.Name] : [MetadataName.RetryAfter.Name, BurstStarted.Name, Exhausted.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName switch
            {
                _ when metadataName == MetadataName.RetryAfter.Name => retryAfter,
                _ when metadataName == BurstStarted.Name => started,
                _ when metadataName == Exhausted.Name => exhausted,
                _ => null,
            };
            return metadata is not null;
        }

        /// <summary>Returns the permits to the budget, once.</summary>
        public void Refund()
        {
            if (acquired && Interlocked.Exchange(ref _refunded, 1) == 0)
            {
                budget.Refund(this);
            }
        }
    }
}
