using System.Diagnostics.Metrics;

namespace Sluice.Usage;

/// <summary>
/// The usage meter's counters, on the <c>Sluice.Usage</c> meter: what an operator (or <c>tests/load</c>) needs to tell
/// storage that keeps up from storage that does not. Counting costs nothing while nobody listens.
/// </summary>
internal static class UsageMetrics
{
    private static readonly Meter s_meter = new("Sluice.Usage");

    /// <summary>Rows queued or being committed (goes up with each row, down as each transaction ends).</summary>
    public static readonly UpDownCounter<long> Queued = s_meter.CreateUpDownCounter<long>("sluice.usage.rows.queued", "{row}",
        "Usage rows queued or being committed.");

    /// <summary>Rows committed to storage.</summary>
    public static readonly Counter<long> Committed = s_meter.CreateCounter<long>("sluice.usage.rows.committed", "{row}",
        "Usage rows committed to storage.");

    /// <summary>Requests that found the queue full and waited for room: storage slower than the traffic.</summary>
    public static readonly Counter<long> QueueWaits = s_meter.CreateCounter<long>("sluice.usage.queue.waits", "{request}",
        "Requests that waited for room in the usage queue because storage was slower than the traffic.");
}
