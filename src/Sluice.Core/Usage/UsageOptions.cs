using System.ComponentModel.DataAnnotations;

namespace Sluice.Usage;

/// <summary>How per-request metadata rows are written (<c>Sluice__Usage__*</c>).</summary>
public sealed class UsageOptions
{
    public const string Section = "Sluice:Usage";

    /// <summary>Partitions per account and day. Rows spread over them so one busy account does not funnel every
    /// write into a single partition (each takes about 2,000 entities/s). Fixed for the life of a deployment:
    /// queries merge exactly this many partitions per day.</summary>
    [Range(1, 64)] public int PartitionShards { get; set; } = 4;

    /// <summary>Table transactions in flight at once.</summary>
    [Range(1, 64)] public int MaxConcurrentCommits { get; set; } = 8;

    /// <summary>Rows waiting to be committed before callers wait for room (back-pressure, never loss).</summary>
    [Range(100, 1_000_000)] public int QueueCapacity { get; set; } = 20_000;

    /// <summary>Attempts for one transaction before its rows are reported lost (each one logged).</summary>
    [Range(1, 20)] public int WriteAttempts { get; set; } = 6;

    /// <summary>First retry delay; doubles per attempt.</summary>
    public TimeSpan WriteRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
