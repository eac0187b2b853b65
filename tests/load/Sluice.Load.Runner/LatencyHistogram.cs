using System.Diagnostics;
using System.Numerics;

namespace Sluice.Load;

/// <summary>
/// A log-linear histogram of durations in microseconds, in the manner of HdrHistogram: values below 2,048 µs are
/// counted exactly, larger ones in buckets 1/1,024 of their power of two wide (under 0.1 % error), so p99.9 of a
/// million samples costs a fixed 200 KB and no sorting. Safe to record into from many threads at once.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBuckets = 2048;
    private const int HalfSubBuckets = SubBuckets / 2;
    private const int SubBucketBits = 10; // log2(HalfSubBuckets)

    // Shifts up to 40: values up to about 2^51 µs, far more than any run lasts.
    private readonly long[] _counts = new long[SubBuckets + 40 * HalfSubBuckets];
    private long _count;
    private long _max;

    public long Count => Volatile.Read(ref _count);

    public double MaxMs => Volatile.Read(ref _max) / 1000.0;

    /// <summary>Records the time from <paramref name="fromTimestamp"/> to <paramref name="toTimestamp"/> (Stopwatch ticks).</summary>
    public void RecordBetween(long fromTimestamp, long toTimestamp) =>
        Record(Math.Max(0, (toTimestamp - fromTimestamp) * 1_000_000 / Stopwatch.Frequency));

    public void Record(long microseconds)
    {
        Interlocked.Increment(ref _counts[Index(microseconds)]);
        Interlocked.Increment(ref _count);
        long max;
        while (microseconds > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, microseconds, max) != max)
        {
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }
        _count += other._count;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The value at percentile <paramref name="p"/> (0–100), in milliseconds: the upper end of the bucket that
    /// holds the sample of that rank; NaN when empty.</summary>
    public double PercentileMs(double p)
    {
        var count = Count;
        if (count == 0)
        {
            return double.NaN;
        }
        var rank = Math.Max(1, (long)Math.Ceiling(p / 100 * count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), Volatile.Read(ref _max)) / 1000.0;
            }
        }
        return MaxMs;
    }

    public double MeanMs
    {
        get
        {
            double sum = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                sum += _counts[i] * (double)UpperBound(i);
            }
            return Count == 0 ? double.NaN : sum / Count / 1000.0;
        }
    }

    internal static int Index(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }
        var shift = 63 - BitOperations.LeadingZeroCount((ulong)value) - SubBucketBits;
        return SubBuckets + (shift - 1) * HalfSubBuckets + (int)((value >> shift) - HalfSubBuckets);
    }

    internal static long UpperBound(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }
        var shift = (index - SubBuckets) / HalfSubBuckets + 1;
        var sub = (index - SubBuckets) % HalfSubBuckets + HalfSubBuckets;
        return ((long)(sub + 1) << shift) - 1;
    }
}
