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

    /// <summary>Table transactions in flight at once (each partition has at most one).</summary>
    [Range(1, 64)] public int MaxConcurrentCommits { get; set; } = 8;

    /// <summary>Rows queued or in flight before callers wait for room (back-pressure, never loss).</summary>
    [Range(100, 1_000_000)] public int QueueCapacity { get; set; } = 20_000;

    /// <summary>
    /// Whether a request waits until its usage row is committed before its invocation ends (the response has been
    /// sent either way). Keep true on Azure Functions: once no invocation runs, an instance may be frozen or recycled
    /// before a queued row is written. A long-running host can turn it off: stopping the host still commits every
    /// queued row, and an HTTP/1.1 connection's next request would otherwise wait for the previous one's storage
    /// round trip.
    /// </summary>
    public bool WaitForCommit { get; set; } = true;

    /// <summary>
    /// With <see cref="WaitForCommit"/>, whether the end of each answer (the <c>[DONE]</c> event and the end of a stream,
    /// the last bytes of a JSON body, or a whole error body) is also held until the row is committed. Then a client
    /// never has a complete answer whose row is not durable, even if the process dies at that moment (a kill, an
    /// instance recycled without notice); the cost is one storage commit added to the time to the answer's last byte,
    /// none to its first. Off, the answer completes first and the invocation waits for the row after it.
    /// </summary>
    public bool HoldAnswerEndUntilCommit { get; set; } = true;

    /// <summary>
    /// How long the first row queued for an idle partition waits for others before its transaction is sent. Zero (the
    /// default) sends at once; rows still gather while a transaction is in flight. Worth setting only where requests do
    /// not wait for their rows (<see cref="WaitForCommit"/> false): it cuts storage round trips, and CPU, per request.
    /// </summary>
    public TimeSpan GatherDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Attempts for one transaction before its rows are reported lost (each one logged).</summary>
    [Range(1, 20)] public int WriteAttempts { get; set; } = 6;

    /// <summary>First retry delay; doubles per attempt.</summary>
    public TimeSpan WriteRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
